"""``distribution_validate`` and the delivered-quantity adjustments before it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from distributions.availability import available_quantities
from distributions.models import Distribution, OrderLine, OrderStatus
from distributions.services import (
    distribution_unvalidate,
    distribution_validate,
    order_line_deliver,
)
from distributions.signals import distribution_validated
from epiclic.errors import Refusal
from tests.factories import make_beneficiary, make_distribution, make_order, make_product, make_user

D = Decimal


@pytest.fixture
def setup(shop, manager):
    rice = make_product(shop=shop, name="Riz", stock="10")
    apples = make_product(shop=shop, name="Pommes", unit="kg", stock="20")
    synced = make_product(shop=shop, name="Lait", stock="8", stock_source="escarcelle")
    distribution = make_distribution(shop=shop, state="closed")
    alice = make_beneficiary(shop=shop).membership
    bob = make_beneficiary(shop=shop).membership
    a = make_order(membership=alice, distribution=distribution, lines={rice: 2, apples: "1.5"})
    b = make_order(membership=bob, distribution=distribution, lines={rice: 3, synced: 1})
    return {"rice": rice, "apples": apples, "synced": synced, "d": distribution, "a": a, "b": b}


@pytest.mark.parametrize("state", ["upcoming", "open"])
def test_a_distribution_not_yet_closed_cannot_be_validated(shop, manager, state):
    distribution = make_distribution(shop=shop, state=state)
    with pytest.raises(Refusal, match="une fois les commandes fermées"):
        distribution_validate(distribution=distribution, user=manager)
    distribution.refresh_from_db()
    assert distribution.validated_at is None


def test_validation_delivers_orders_and_decrements_hand_managed_stock(setup, manager):
    cancelled = make_order(
        membership=make_beneficiary(shop=setup["d"].shop).membership,
        distribution=setup["d"],
        lines={setup["rice"]: 4},
        status="cancelled",
    )
    distribution_validate(distribution=setup["d"], user=manager)
    setup["d"].refresh_from_db()
    assert setup["d"].validated_by == manager and setup["d"].validated_at is not None
    for order in (setup["a"], setup["b"]):
        order.refresh_from_db()
        assert order.status == OrderStatus.DELIVERED
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.CANCELLED
    stocks = {p.name: p.stock for p in [setup[k] for k in ("rice", "apples", "synced")]}
    for product in (setup["rice"], setup["apples"], setup["synced"]):
        product.refresh_from_db()
    assert setup["rice"].stock == D("5") and setup["apples"].stock == D("18.5")
    assert setup["synced"].stock == stocks["Lait"]  # Escarcelle's stock is not ours to change
    assert available_quantities(shop=setup["d"].shop)[setup["rice"].pk] == D("5")
    assert not OrderLine.objects.filter(
        order__status="delivered", delivered_quantity__isnull=True
    ).exists()


def test_a_validated_distribution_is_final(setup, manager):
    distribution_validate(distribution=setup["d"], user=manager)
    with pytest.raises(Refusal, match="déjà validée"):
        distribution_validate(distribution=setup["d"], user=manager)
    setup["rice"].refresh_from_db()
    assert setup["rice"].stock == D("5")
    with pytest.raises(Refusal):
        distribution_unvalidate(distribution=setup["d"], user=manager)
    line = setup["a"].lines.get(product=setup["rice"])
    with pytest.raises(Refusal):
        order_line_deliver(line=line, delivered_quantity=D("1"))


def test_a_superuser_may_undo_a_validation_and_the_stock_comes_back(setup, manager):
    distribution_validate(distribution=setup["d"], user=manager)
    root = make_user(is_superuser=True, is_staff=True)
    distribution_unvalidate(distribution=setup["d"], user=root)
    setup["rice"].refresh_from_db()
    setup["a"].refresh_from_db()
    assert setup["rice"].stock == D("10") and setup["a"].status == OrderStatus.CONFIRMED
    assert Distribution.objects.get(pk=setup["d"].pk).validated_at is None


def test_adjusted_and_missing_quantities_are_what_the_stock_loses(setup, manager):
    rice_a = setup["a"].lines.get(product=setup["rice"])
    rice_b = setup["b"].lines.get(product=setup["rice"])
    apples = setup["a"].lines.get(product=setup["apples"])
    order_line_deliver(line=rice_a, delivered_quantity=D("1"))
    order_line_deliver(line=rice_b, delivered_quantity=D("0"))
    order_line_deliver(line=apples, delivered_quantity=D("1.2"))
    distribution_validate(distribution=setup["d"], user=manager)
    setup["rice"].refresh_from_db()
    setup["apples"].refresh_from_db()
    assert setup["rice"].stock == D("9") and setup["apples"].stock == D("18.8")
    rice_b.refresh_from_db()
    assert rice_b.delivered_quantity == 0


def test_an_adjustment_back_to_empty_means_as_ordered(setup):
    line = setup["a"].lines.get(product=setup["rice"])
    order_line_deliver(line=line, delivered_quantity=D("1"))
    order_line_deliver(line=line, delivered_quantity=None)
    line.refresh_from_db()
    assert line.delivered_quantity is None and line.effective_quantity == 2


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("3", "dépasser la quantité commandée"), ("-1", "négative"), ("0.5", "nombre entier")],
)
def test_impossible_delivered_quantities_are_refused(setup, quantity, message):
    line = setup["a"].lines.get(product=setup["rice"])
    with pytest.raises(Refusal, match=message):
        order_line_deliver(line=line, delivered_quantity=D(quantity))


def test_delivered_quantities_cannot_be_set_while_orders_are_open(shop, setup):
    open_ = make_distribution(shop=shop)
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=open_,
        lines={setup["rice"]: 1},
    )
    with pytest.raises(Refusal, match="une fois les commandes fermées"):
        order_line_deliver(line=order.lines.get(), delivered_quantity=D("0"))


def test_the_signal_is_sent_inside_the_transaction_and_a_failing_receiver_rolls_it_back(
    setup, manager
):
    seen = {}

    def failing_receiver(sender, *, distribution, **kwargs):
        seen["validated_at"] = Distribution.objects.get(pk=distribution.pk).validated_at
        seen["rice"] = type(setup["rice"]).objects.get(pk=setup["rice"].pk).stock
        raise RuntimeError("outbox unavailable")

    distribution_validated.connect(failing_receiver)
    try:
        with pytest.raises(RuntimeError):
            distribution_validate(distribution=setup["d"], user=manager)
    finally:
        distribution_validated.disconnect(failing_receiver)
    assert seen["validated_at"] is not None and seen["rice"] == D("5")
    setup["d"].refresh_from_db()
    setup["rice"].refresh_from_db()
    setup["a"].refresh_from_db()
    assert setup["d"].validated_at is None
    assert setup["rice"].stock == D("10")
    assert setup["a"].status == OrderStatus.CONFIRMED
