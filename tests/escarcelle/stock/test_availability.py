"""Available online = Escarcelle's quantity at the last reading − orders it does not include."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from distributions.availability import available_quantities
from distributions.models import OrderStatus
from escarcelle.client import EscarcelleClient
from escarcelle.sales.models import SaleOutbox
from escarcelle.stock.availability import escarcelle_figures
from escarcelle.stock.services import stock_sync_shop
from shops.models import Role
from tests.escarcelle.stock.helpers import STOCK_MOVES, post_online_order
from tests.factories import (
    bind_products,
    connect,
    make_distribution,
    make_membership,
    make_order,
    make_product,
    make_shop,
)

D = Decimal
_keys = itertools.count(1)


def order(shop, product, quantity, *, distribution=None, status=OrderStatus.CONFIRMED):
    member = make_membership(shop=shop, role=Role.BENEFICIARY)
    distribution = distribution or make_distribution(shop=shop)
    return make_order(
        membership=member, distribution=distribution, lines={product: quantity}, status=status
    )


def acknowledge(order_, sequence, *, status="sent"):
    return SaleOutbox.objects.create(
        shop=order_.shop,
        distribution=order_.distribution,
        order=order_,
        idempotency_key=f"test-{next(_keys)}",
        payload={},
        status=status,
        sequence=sequence,
    )


def available(shop, product) -> Decimal:
    return available_quantities(shop=shop, product_ids=[product.pk])[product.pk]


def test_an_online_order_reduces_available_at_once(connected_shop, sim):
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    product = products[0]
    quantity = sim.stock()[product.escarcelle_id]
    order(shop, product, 2)
    assert available(shop, product) == quantity - 2


def test_a_line_stops_being_subtracted_once_acknowledged_within_the_reading(connected_shop, sim):
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    product = products[0]
    start = sim.stock()[product.escarcelle_id]
    online = order(shop, product, 3, status=OrderStatus.DELIVERED)
    # Escarcelle records the sale (its ledger moves) and acknowledges it at a later sequence.
    moved = sim.sell_in_shop(product.escarcelle_id, "3")
    outbox = acknowledge(online, moved["sequence"])
    assert available(shop, product) == start - 3  # the reading does not include it yet
    stock_sync_shop(shop=shop)
    assert available(shop, product) == start - 3  # now counted once, by Escarcelle
    outbox.sequence = moved["sequence"] + 1000
    outbox.save()
    assert available(shop, product) == start - 6  # acknowledged later than the reading


def test_pending_or_failed_sales_and_cancelled_orders(connected_shop, sim):
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    product = products[1]
    start = sim.stock()[product.escarcelle_id]
    acknowledge(order(shop, product, 1), None, status="pending")
    acknowledge(order(shop, product, 2), None, status="failed")
    order(shop, product, 4, status=OrderStatus.CANCELLED)
    delivered = order(shop, product, 5, status=OrderStatus.DELIVERED)
    delivered.lines.update(delivered_quantity=D("0.5"))
    acknowledge(delivered, None, status="pending")  # validated, not yet sent
    assert available(shop, product) == start - D("3.5")


def test_a_product_never_read_has_nothing_available(connected_shop):
    shop, products = connected_shop
    assert available(shop, products[0]) == 0
    order(shop, products[0], 1)
    assert available(shop, products[0]) == -1  # screens show max(0, …)


def test_negative_escarcelle_stock_gives_a_negative_raw_figure(connected_shop, sim):
    shop, products = connected_shop
    sim.adjust(products[0].escarcelle_id, "-2")
    stock_sync_shop(shop=shop)
    assert available(shop, products[0]) == D("-2")


def test_the_figure_of_another_shop_is_never_used(connected_shop, sim):
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    other = make_shop()
    (figure,) = escarcelle_figures(shop=other, stocks={products[0].pk: D("5")}).values()
    assert figure.quantity is None and figure.available == D("0")


def test_the_query_count_does_not_grow_with_products(connected_shop, sim):
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    for product in products:
        order(shop, product, 1)
    hand = make_product(shop=shop, stock="3")
    ids = [p.pk for p in products] + [hand.pk]
    with CaptureQueriesContext(connection) as few:
        available_quantities(shop=shop, product_ids=[ids[0], hand.pk])
    with CaptureQueriesContext(connection) as many:
        result = available_quantities(shop=shop, product_ids=ids)
    assert len(many) == len(few) <= 6
    assert result[hand.pk] == 3


# --- The rule as a property over random interleavings ----------------------------------------

STEPS = st.lists(st.one_of(*STOCK_MOVES), min_size=1, max_size=12)


@pytest.mark.slow
@pytest.mark.django_db
@hsettings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_available_never_exceeds_what_is_really_free(steps, make_escarcelle_account, settings):
    """After any interleaving, for every product:

    available ≤ Escarcelle's quantity now + in-shop sales since the last reading
                − online orders not yet recorded by Escarcelle

    (in-shop sales after the reading cannot be known before the next one), and right after a
    reading it is exactly Escarcelle's quantity − the online orders not yet recorded.
    """
    sim = make_escarcelle_account()
    settings.ESCARCELLE_BASE_URL = sim.base_url
    sim.seed(products=2, beneficiaries=0)
    shop = make_shop()
    connect(shop=shop, account=sim)
    products = bind_products(shop=shop, account=sim)
    distribution = make_distribution(shop=shop)
    stock_sync_shop(shop=shop)
    unposted: list = []  # orders Escarcelle has not recorded yet
    sold_since_reading = [D(0), D(0)]
    with EscarcelleClient(sim.api_key, base_url=sim.base_url) as client:
        for action, index, quantity in steps:
            if action == "shop_sale":
                sim.sell_in_shop(products[index].escarcelle_id, quantity)
                sold_since_reading[index] += quantity
            elif action == "restock":
                sim.restock(products[index].escarcelle_id, quantity)
            elif action == "order":
                unposted.append(
                    (order(shop, products[index], quantity, distribution=distribution), index)
                )
            elif action == "post" and unposted:
                online, i = unposted.pop(index % len(unposted))
                sale = post_online_order(
                    client, online, products[i].escarcelle_id, key=f"prop-{online.pk}-{next(_keys)}"
                )
                acknowledge(online, sale.sequence)
            elif action == "read":
                assert stock_sync_shop(shop=shop).result == "ok"
                sold_since_reading = [D(0), D(0)]

            now = sim.stock()
            figures = available_quantities(shop=shop, product_ids=[p.pk for p in products])
            for i, product in enumerate(products):
                pending = sum((o.lines.get().quantity for o, j in unposted if j == i), start=D(0))
                free = now[product.escarcelle_id] - pending
                assert figures[product.pk] <= free + sold_since_reading[i]
                if action == "read":
                    assert figures[product.pk] == free


def test_a_delivered_order_without_a_sale_record_is_not_subtracted_forever(connected_shop, sim):
    # Validated before the shop was connected: it will never reach Escarcelle.
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    product = products[0]
    start = sim.stock()[product.escarcelle_id]
    order(shop, product, 2, status=OrderStatus.DELIVERED)
    assert available(shop, product) == start
    with_record = order(shop, product, 3, status=OrderStatus.DELIVERED)
    acknowledge(with_record, None, status="pending")
    assert available(shop, product) == start - 3
