"""Two beneficiaries confirm the last unit at the same moment: exactly one gets it."""

from __future__ import annotations

import functools

import pytest

from distributions.models import OrderLine
from distributions.services import order_confirm
from epiclic.errors import Refusal
from tests.concurrency import run_together
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

    def confirm(member) -> str:
        try:
            order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})
        except Refusal:
            return "refused"
        return "ok"

    # Any other error fails the test with its traceback.
    outcomes = run_together(*(functools.partial(confirm, m) for m in members), timeout=30)
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
