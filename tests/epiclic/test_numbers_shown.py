"""Numbers written the French way: ``12,5`` not ``12,500``, ``3,20 €`` with a no-break space."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from catalog import rules
from epiclic.numbers import decimal_text, euros, money_text
from tests.factories import make_product

NBSP = "\u00a0"


def test_quantities_lose_their_trailing_zeros_and_never_show_an_exponent():
    assert decimal_text(Decimal("12.500")) == "12,5"
    assert decimal_text(Decimal("10.000")) == "10"
    assert decimal_text(Decimal("1E+1")) == "10"
    assert decimal_text(Decimal("0.250")) == "0,25"
    assert decimal_text(None) == ""


def test_prices_keep_two_decimals_and_the_euro_sign_stays_with_them():
    assert money_text(Decimal("3.2")) == "3,20"
    assert euros(Decimal("3.2")) == f"3,20{NBSP}€"
    assert euros("1250.5") == f"1250,50{NBSP}€"
    assert euros(None) == ""


def test_the_filters_follow_the_language_shown():
    template = Template("{% load numbers %}{{ q|quantity }} · {{ p|euros }}")
    context = Context({"q": Decimal("12.500"), "p": Decimal("3.20")})
    assert template.render(context) == f"12,5 · 3,20{NBSP}€"
    with translation.override("en"):
        assert template.render(context) == f"12.5 · 3.20{NBSP}€"


def test_units_use_the_same_rule():
    assert rules.unit_text("kg", Decimal("12.500")) == "12,5 kg"
    assert rules.unit_text("piece", Decimal("2.000")) == "2 pièces"


def test_the_product_list_shows_stock_and_price_the_french_way(manager_client, shop):
    make_product(shop=shop, name="Farine", price="3.20", stock="12.500", unit="kg")
    html = manager_client.get(reverse("catalog:products", kwargs={"shop_slug": shop.slug}))
    page = html.content.decode()
    assert f"3,20{NBSP}€" in page and "12,5<" in page
    assert "12,500" not in page
