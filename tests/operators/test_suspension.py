"""A suspended grocery's stock syncs and sales push wait, and resume on reactivation with
nothing lost."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from catalog.models import StockSource
from escarcelle import crypto
from escarcelle.client import EscarcelleError
from escarcelle.models import Connection
from escarcelle.sales.alerts import ALERT_AFTER, sales_alert_stuck
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import sales_sweep
from escarcelle.stock.services import stock_sync_due
from shops.lifecycle import shop_reactivate, shop_suspend
from tests.factories import make_product, make_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def escarcelle_shop(shop):
    Connection.objects.create(
        shop=shop,
        api_key_encrypted=crypto.encrypt("esc_key"),
        key_last4="_key",
        account_id="acc",
        account_name="Compte",
    )
    make_product(shop=shop, stock_source=StockSource.ESCARCELLE, escarcelle_id="p1")
    return shop


def test_the_stock_tick_skips_a_suspended_grocery_and_takes_it_back_on_reactivation(
    escarcelle_shop,
):
    now = timezone.now()
    assert shop_suspend(shop=escarcelle_shop)
    assert stock_sync_due(now=now) == []
    assert shop_reactivate(shop=escarcelle_shop)
    assert stock_sync_due(now=now) == [escarcelle_shop.pk]


def test_the_sales_sweep_keeps_a_suspended_groceries_sales_pending_then_sends_them(escarcelle_shop):
    sale = make_sale(shop=escarcelle_shop)
    called: list[int] = []

    def client_factory(shop, connection):
        called.append(shop.pk)
        raise EscarcelleError("stop here", permanent=False)

    shop_suspend(shop=escarcelle_shop)
    sales_sweep(client_factory=client_factory)
    assert called == []
    assert SaleOutbox.objects.get(pk=sale.pk).status == SaleStatus.PENDING
    shop_reactivate(shop=escarcelle_shop)
    sales_sweep(client_factory=client_factory)
    assert called == [escarcelle_shop.pk]


def test_suspending_twice_keeps_the_first_date(shop):
    assert shop_suspend(shop=shop)
    first = shop.suspended_at
    assert not shop_suspend(shop=shop)
    assert shop.suspended_at == first


def test_a_suspended_grocery_gets_no_unsent_sales_alert(escarcelle_shop):
    sale = make_sale(shop=escarcelle_shop)
    later = timezone.now() + ALERT_AFTER + datetime.timedelta(minutes=1)
    shop_suspend(shop=escarcelle_shop)
    assert sales_alert_stuck(now=later) == 0
    assert SaleOutbox.objects.get(pk=sale.pk).alerted_at is None
    shop_reactivate(shop=escarcelle_shop)
    assert sales_alert_stuck(now=later) == 1
