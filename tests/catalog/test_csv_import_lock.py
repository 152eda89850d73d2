"""A big CSV confirmation never holds the database for long: other shops keep signing in.

Confirming 100,000 lines used to run in one transaction of minutes that held SQLite's only
write lock, and other groceries' sign-ins failed with "database is locked". The apply now
writes in short chunks; a sign-in (which writes its session) passes between two of them.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from catalog.models import Product
from catalog.services import product_csv_import_apply, product_csv_import_plan_create
from imports.models import ImportPlan, PlanStatus
from tests.factories import PASSWORD, make_membership, make_shop, make_user

LINES = 100_000


def big_csv() -> bytes:
    lines = ["ref;nom;prix_ttc;tva;unite;stock"]
    lines += [
        f"R{n:06d};Produit {n};{1 + n % 9},{n % 100:02d};5,5;pièce;{n % 40}" for n in range(LINES)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_another_shops_sign_in_succeeds_while_100000_lines_are_confirmed():
    shop = make_shop()
    other_shop = make_shop()
    member = make_user()
    make_membership(shop=other_shop, user=member)
    plan = product_csv_import_plan_create(shop=shop, user=None, filename="big.csv", data=big_csv())
    assert plan.counts["new"] == LINES
    Client().get(reverse("login"))  # the first request loads templates and translations
    outcome: dict[str, object] = {}

    def confirm() -> None:
        try:
            outcome["result"] = product_csv_import_apply(shop=shop, plan_id=plan.pk)
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=confirm)
    thread.start()
    deadline = time.monotonic() + 60
    while ImportPlan.objects.get(pk=plan.pk).status != PlanStatus.APPLYING:
        assert thread.is_alive() and time.monotonic() < deadline, outcome
        time.sleep(0.01)
    # Sign in again and again while the confirmation runs; note where the apply stood.
    sign_ins: list[tuple[int, float, str, int]] = []
    while thread.is_alive():
        started = time.monotonic()
        response = Client().post(
            reverse("login"), {"username": member.username, "password": PASSWORD}
        )
        seconds = time.monotonic() - started
        now = ImportPlan.objects.get(pk=plan.pk)
        sign_ins.append((response.status_code, seconds, now.status, now.cursor))
    thread.join(120)

    assert outcome == {"result": {"new": LINES, "changed": 0}}
    assert Product.objects.filter(shop=shop).count() == LINES
    assert sign_ins, "the confirmation ended before a sign-in could be tried"
    assert {status for status, *_rest in sign_ins} == {302}
    # Some sign-ins went through between two chunks: part of the file written, not all.
    between = [s for s in sign_ins if s[2] == PlanStatus.APPLYING and 0 <= s[3] < LINES - 1]
    assert between, sign_ins
    assert max(seconds for _status, seconds, *_rest in sign_ins) < 5, sign_ins
