"""shop_create, manager_invite and fleet_status: the operator space's work for scripts."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from shops.models import Invitation, Shop
from tests.emails import sent_emails

pytestmark = pytest.mark.django_db


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_shop_create_makes_the_grocery_and_invites_its_manager():
    out = _call(
        "shop_create",
        "--name=Épicerie du Port",
        "--slug=epicerie-du-port",
        "--manager=gerante@example.org",
        "--timezone=Indian/Reunion",
    )
    assert "epicerie-du-port" in out
    shop = Shop.objects.get(slug="epicerie-du-port")
    assert shop.timezone == "Indian/Reunion"
    assert Invitation.objects.get(shop=shop).email == "gerante@example.org"
    assert [m.to for m in sent_emails()] == [["gerante@example.org"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug=admin"], "réservé"),
        (["--slug=Pas bon"], "lettres"),
        (["--manager=nope"], "adresse e-mail valide"),
        (["--timezone=Europe/Nowhere"], "fuseau horaire"),
    ],
)
def test_shop_create_refuses_bad_input_and_creates_nothing(args, message):
    base = {"--name": "X", "--slug": "ok-slug", "--manager": "a@example.org"}
    for arg in args:
        key, value = arg.split("=", 1)
        base[key] = value
    with pytest.raises(CommandError, match=message):
        _call("shop_create", *[f"{k}={v}" for k, v in base.items()])
    assert not Shop.objects.exists()
    assert not Invitation.objects.exists()


def test_manager_invite_twice_sends_the_same_invitation_again(shop):
    _call("manager_invite", shop.slug, "co@example.org")
    out = _call("manager_invite", shop.slug, "co@example.org")
    assert "2×" in out
    assert Invitation.objects.filter(shop=shop).count() == 1


def test_fleet_status_in_text_and_json(shop, other_shop):
    Shop.objects.filter(pk=other_shop.pk).update(suspended_at=timezone.now())
    text = _call("fleet_status")
    assert shop.slug in text and "not_connected" in text
    rows = json.loads(_call("fleet_status", "--json", "--trouble"))
    assert [row["slug"] for row in rows] == [other_shop.slug]
    assert rows[0]["suspended"] is True and rows[0]["escarcelle"] == "not_connected"
