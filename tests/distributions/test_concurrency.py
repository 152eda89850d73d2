"""Two beneficiaries confirm the last unit at the same moment: exactly one gets it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from distributions.models import OrderLine
from distributions.services import order_confirm
from epiclic.errors import Refusal
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_product,
    make_shop,
)


def _race() -> list[str]:
    shop = make_shop()
    product = make_product(shop=shop, stock="1")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[product])]
    )
    members = [make_beneficiary(shop=shop).membership for _ in range(2)]
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def confirm(member) -> None:
        try:
            barrier.wait()
            order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})
            outcomes.append("ok")
        except Refusal:
            outcomes.append("refused")
        except Exception as exc:  # reported, so that the assertion below shows it
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert OrderLine.objects.filter(product=product).count() == outcomes.count("ok")
    return sorted(outcomes)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_confirmations_of_the_last_unit_sell_it_once():
    assert _race() == ["ok", "refused"]


@pytest.mark.django_db(transaction=True)
def test_on_any_database_two_confirmations_of_the_last_unit_sell_it_once():
    """On SQLite the IMMEDIATE transactions serialise the two confirmations."""
    assert _race() == ["ok", "refused"]
