"""The last unit sold at the till leaves the ordering page by itself, and cannot be confirmed.

A beneficiary has the shop's last jar in the cart; a sale at the Escarcelle till takes it. The
page's poll (a live read of Escarcelle, at most once per grocery and period) shows it sold out
within seconds, without a reload, and the confirmation is refused saying why.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from escarcelle.stock.services import stock_sync_shop
from tests.e2e.conftest import sign_in
from tests.factories import (
    PASSWORD,
    bind_products,
    connect,
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_shop,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_till_sale_takes_the_last_unit_off_the_ordering_page_and_its_confirmation_is_refused(
    page, live_server, settings, escarcelle
):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    settings.STOCK_LIVE_READ_EVERY_S = 1
    escarcelle.seed(products=3, beneficiaries=0)
    shop = make_shop(name="Épicerie du Port", slug="port")
    connect(shop=shop, account=escarcelle)
    products = bind_products(shop=shop, account=escarcelle)
    last = products[0]
    escarcelle.adjust(last.escarcelle_id, 1)  # sets the stock
    stock_sync_shop(shop=shop)
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    make_beneficiary(shop=shop, user=make_user(email="awa@port.example", first_name="Awa"))

    sign_in(page, "awa@port.example", PASSWORD)
    page.wait_for_url("**/port/commander/")
    page.goto(f"/port/commander/{distribution.pk}/")
    expect(page.get_by_text("Quantités lues en magasin")).to_be_visible()
    available = page.locator(f"#avail-{last.pk}")
    expect(available).to_have_text("1")
    page.locator(f"#add-{last.pk}").click()
    expect(page.locator("#cart")).to_contain_text(last.name)

    escarcelle.sell_in_shop(last.escarcelle_id, Decimal("1"))
    sold_at = time.monotonic()
    expect(available).to_have_text("épuisé", timeout=10_000)
    assert time.monotonic() - sold_at < 8  # a 5 s poll, a 1 s period for the live read
    expect(page.locator(f"#qty-{last.pk}")).to_be_empty()
    expect(page.get_by_text("Quantités lues en magasin il y a")).to_be_visible()

    page.get_by_role("button", name="Confirmer ma commande").click()
    expect(page.locator("ul.messages")).to_contain_text(
        f"{last.name} : il n'en reste plus que 0 : un achat vient d'être fait en magasin."
    )
    assert not last.order_lines.exists()
