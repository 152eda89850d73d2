"""A shop connected to a fresh emulator account, with its products imported (bound)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product, StockSource
from escarcelle.connection import connection_save
from shops.models import Shop


def bind_products(*, shop: Shop, escarcelle, only: list[str] | None = None) -> list[Product]:
    """What the product import leaves behind: one bound Product per Escarcelle product."""
    products = []
    for item in escarcelle.products():
        if only is not None and item["id"] not in only:
            continue
        products.append(
            Product.objects.create(
                shop=shop,
                name=item["name"],
                price=Decimal(item["price"]),
                escarcelle_id=item["id"],
                stock_source=StockSource.ESCARCELLE,
            )
        )
    return products


def connect(*, shop: Shop, escarcelle) -> None:
    connection_save(shop=shop, user=None, api_key=escarcelle.api_key)


@pytest.fixture
def sim(settings, escarcelle):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    return escarcelle


@pytest.fixture
def connected(shop, sim):
    """``shop`` connected to ``sim`` with 5 products, all imported."""
    sim.seed(products=5, beneficiaries=0)
    connect(shop=shop, escarcelle=sim)
    products = bind_products(shop=shop, escarcelle=sim)
    return shop, products


@pytest.fixture
def clock():
    """A controllable 'now', starting at a round hour."""

    class Clock:
        def __init__(self) -> None:
            self.now = timezone.now().replace(minute=0, second=0, microsecond=0)

        def advance(self, **delta: float) -> datetime.datetime:
            self.now += datetime.timedelta(**delta)
            return self.now

    return Clock()
