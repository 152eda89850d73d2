"""Two beneficiaries confirm with the last place of a pick-up slot at the same moment: exactly
one gets it, the other is told the slot is full."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from distributions.models import Order
from distributions.services import order_confirm
from epiclic.errors import Refusal
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
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def confirm(member, product) -> None:
        try:
            barrier.wait()
            order_confirm(
                membership=member,
                distribution=distribution,
                quantities={product.pk: 1},
                slot_id=slot.pk,
            )
            outcomes.append("ok")
        except Refusal as refused:
            outcomes.append(refused.code or "refused")
        except Exception as exc:  # reported, so that the assertion below shows it
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=confirm, args=pair) for pair in zip(members, products, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
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
