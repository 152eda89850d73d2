"""Two beneficiaries confirm with the last place of a pick-up slot at the same moment: exactly
one gets it, the other is told the slot is full."""

from __future__ import annotations

import functools

import pytest

from distributions.models import Order
from distributions.services import order_confirm
from epiclic.errors import Refusal
from tests.concurrency import run_together
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_product,
    make_shop,
    make_slot,
)


def _race() -> list[str]:
    shop = make_shop()
    # Each member orders another product, in plenty: no product row lock serialises them,
    # only the slot's own lock guards its one place.
    products = [make_product(shop=shop, stock="100") for _ in range(2)]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    slot = make_slot(distribution=distribution, capacity=1)
    members = [make_beneficiary(shop=shop).membership for _ in range(2)]

    def confirm(member, product) -> str:
        try:
            order_confirm(
                membership=member,
                distribution=distribution,
                quantities={product.pk: 1},
                slot_id=slot.pk,
            )
        except Refusal as refused:
            return refused.code or "refused"
        return "ok"

    # Any other error fails the test with its traceback.
    outcomes = run_together(
        *(functools.partial(confirm, m, p) for m, p in zip(members, products, strict=True)),
        timeout=30,
    )
    assert Order.objects.filter(slot=slot).count() == outcomes.count("ok")
    return sorted(outcomes)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_confirmations_of_a_slot_s_last_place_get_it_once():
    assert _race() == ["ok", "slot_full"]


@pytest.mark.django_db(transaction=True)
def test_on_any_database_two_confirmations_of_a_slot_s_last_place_get_it_once():
    """On SQLite the IMMEDIATE transactions serialise the two confirmations."""
    assert _race() == ["ok", "slot_full"]
