"""A small scenario whose figures were computed by hand (see test_figures.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from catalog.models import Product
from distributions.models import Distribution, OrderLine, OrderStatus
from distributions.services import distribution_validate
from shops.models import BeneficiaryProfile, Shop
from tests.factories import make_beneficiary, make_distribution, make_order, make_product, make_user

PARIS = ZoneInfo("Europe/Paris")


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=PARIS)


def validated(*, shop: Shop, day: datetime.date, orders, user) -> Distribution:
    """A distribution on ``day`` with ``orders`` [(profile, {product: (ordered, delivered)})],
    then validated (delivered None: as ordered)."""
    distribution = make_distribution(shop=shop, state="closed", starts_at=at(day))
    for profile, lines in orders:
        order = make_order(
            membership=profile.membership,
            distribution=distribution,
            lines={product: ordered for product, (ordered, _d) in lines.items()},
        )
        for product, (_o, delivered) in lines.items():
            if delivered is not None:
                OrderLine.objects.filter(order=order, product=product).update(
                    delivered_quantity=Decimal(str(delivered))
                )
    distribution_validate(distribution=distribution, user=user)
    return distribution


@dataclass
class Scenario:
    alice: BeneficiaryProfile  # 10 %, budget 50 €
    bruno: BeneficiaryProfile  # 30 %, budget 20 €
    chloe: BeneficiaryProfile  # 50 %, no budget
    rice: Product
    apples: Product
    milk: Product
    march: Distribution
    april: Distribution


@pytest.fixture
def scenario(shop, manager, other_shop) -> Scenario:
    rice = make_product(shop=shop, name="Riz", price="2.00", category="Épicerie", stock="100")
    apples = make_product(
        shop=shop, name="Pommes", price="3.00", category="Fruits", unit="kg", stock="100"
    )
    milk = make_product(shop=shop, name="Lait", price="1.00", category="Frais", stock="100")

    def person(first: str, last: str, rate: str, budget: str | None) -> BeneficiaryProfile:
        user = make_user(first_name=first, last_name=last)
        return make_beneficiary(
            shop=shop, user=user, participation_rate=rate, monthly_budget=budget
        )

    alice = person("Alice", "Bernard", "10", "50")
    bruno = person("Bruno", "Durand", "30", "20")
    chloe = person("Chloé", "Martin", "50", None)
    march = validated(
        shop=shop,
        day=datetime.date(2026, 3, 10),
        user=manager,
        orders=[
            (alice, {rice: (2, None), milk: (4, None)}),
            (bruno, {rice: (1, None), apples: (2, "1.5")}),
            (chloe, {milk: (2, 0), rice: (3, None)}),
        ],
    )
    april = make_distribution(shop=shop, state="closed", starts_at=at(datetime.date(2026, 4, 14)))
    make_order(membership=alice.membership, distribution=april, lines={apples: 1})
    make_order(membership=chloe.membership, distribution=april, lines={rice: 1})
    make_order(
        membership=bruno.membership,
        distribution=april,
        lines={rice: 5},
        status=OrderStatus.CANCELLED,
    )
    distribution_validate(distribution=april, user=manager)
    # Not validated: does not count.
    pending = make_distribution(shop=shop, state="closed", starts_at=at(datetime.date(2026, 4, 20)))
    make_order(membership=alice.membership, distribution=pending, lines={rice: 9})
    # Another grocery, same months: never appears.
    theirs = make_product(shop=other_shop, name="Café d'ailleurs", price="9.00", stock="100")
    intruder = make_beneficiary(
        shop=other_shop, user=make_user(first_name="Intrus", last_name="Ailleurs")
    )
    validated(
        shop=other_shop,
        day=datetime.date(2026, 3, 12),
        user=manager,
        orders=[(intruder, {theirs: (3, None)})],
    )
    return Scenario(alice, bruno, chloe, rice, apples, milk, march, april)
