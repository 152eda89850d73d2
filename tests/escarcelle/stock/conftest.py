"""A shop connected to a fresh emulator account, with its products imported (bound)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from catalog.models import Product
from shops.models import Shop
from tests.factories import bind_products, connect
from tests.fixtures_escarcelle import SimAccount


@pytest.fixture
def connected_shop(shop: Shop, sim: SimAccount) -> tuple[Shop, list[Product]]:
    """``shop`` connected to ``sim`` with 5 products, all imported: ``(shop, products)``."""
    sim.seed(products=5, beneficiaries=0)
    connect(shop=shop, account=sim)
    return shop, bind_products(shop=shop, account=sim)


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
