"""The live check at confirmation, over real HTTP against the emulator.

A sale at the till just after the last sync is caught when a beneficiary confirms; when
Escarcelle is slow, down or answers badly, the order is judged on the last reading, fast.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from distributions.availability import available_quantities
from distributions.models import Order, OrderStatus
from distributions.services import order_confirm
from epiclic.errors import Refusal
from escarcelle.client import EscarcelleClient
from escarcelle.sales.models import SaleOutbox
from escarcelle.stock.live import LIVE_BUDGET_S, stock_live_apply, stock_live_read
from escarcelle.stock.models import StockLevel, StockSyncState
from escarcelle.stock.services import stock_sync_shop
from shops.models import Role
from tests.distributions.test_ordering_views import next_poll
from tests.escarcelle.stock.helpers import STOCK_MOVES, post_online_order
from tests.factories import (
    bind_products,
    connect,
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_membership,
    make_order,
    make_product,
    make_shop,
)

D = Decimal


@pytest.fixture
def scene(connected_shop, sim):  # noqa: ANN001, ANN201
    """Product 0 at 3 units in Escarcelle, read by a sync; an open distribution offering every
    product; a beneficiary."""
    shop, products = connected_shop
    sim.adjust(products[0].escarcelle_id, "3")
    stock_sync_shop(shop=shop)
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    member = make_beneficiary(shop=shop, participation_rate="30").membership
    return shop, products, distribution, member


def confirm(member, distribution, quantities):  # noqa: ANN001, ANN201
    return order_confirm(membership=member, distribution=distribution, quantities=quantities)


def test_a_sale_at_the_till_after_the_last_sync_is_refused_at_confirmation(scene, sim):
    shop, products, distribution, member = scene
    product = products[0]
    sim.sell_in_shop(product.escarcelle_id, "2")
    with pytest.raises(Refusal) as refused:
        confirm(member, distribution, {product.pk: 2})
    assert refused.value.code == "sold_in_shop"
    assert refused.value.message == (
        f"{product.name} : il n'en reste plus que 1 : un achat vient d'être fait en magasin."
    )
    assert not Order.objects.filter(membership=member).exists()
    level = StockLevel.objects.get(product=product)
    assert level.quantity == 1
    assert level.read_sequence == sim.sequence()
    assert available_quantities(shop=shop, product_ids=[product.pk])[product.pk] == 1


def test_what_is_still_there_is_confirmed_with_the_fresher_reading_stored(scene, sim):
    _shop, products, distribution, member = scene
    product = products[0]
    sim.sell_in_shop(product.escarcelle_id, "2")
    order = confirm(member, distribution, {product.pk: 1})
    assert order.status == OrderStatus.CONFIRMED
    assert StockLevel.objects.get(product=product).quantity == 1


def test_a_restock_after_the_last_sync_lets_more_be_ordered(scene, sim):
    _shop, products, distribution, member = scene
    product = products[0]
    sim.restock(product.escarcelle_id, "5")
    order = confirm(member, distribution, {product.pk: 7})
    assert order.lines.get().quantity == 7


@pytest.mark.parametrize(
    "faults",
    [
        {"outage_s": 60},
        {"error_rate": 1.0},
        {"hang_s": 4},
        {"malformed_rate": 1.0},
    ],
    ids=["down", "5xx", "hanging", "malformed"],
)
def test_when_escarcelle_fails_the_order_is_judged_on_the_last_reading_fast(scene, sim, faults):
    _shop, products, distribution, member = scene
    product = products[0]
    sim.sell_in_shop(product.escarcelle_id, "2")  # not seen: Escarcelle does not answer
    sim.set_faults(**faults, paths=["/api/v1/stock"])
    started = time.monotonic()
    order = confirm(member, distribution, {product.pk: 3})
    elapsed = time.monotonic() - started
    assert order.lines.get().quantity == 3  # as today: the last reading said 3
    assert elapsed < LIVE_BUDGET_S + 0.5
    level = StockLevel.objects.get(product=product)
    assert (level.quantity, level.read_sequence) == (3, None)


def test_rate_limited_the_last_reading_stands(scene, sim):
    _shop, products, distribution, member = scene
    sim.set_rate_limit(1)
    with sim.client() as http:
        http.get("/account")  # the one request of the minute
    order = confirm(member, distribution, {products[0].pk: 3})
    assert order.lines.get().quantity == 3


def test_a_product_escarcelle_no_longer_answers_for_keeps_its_last_reading(scene, sim):
    shop, products, distribution, member = scene
    ghost = make_product(
        shop=shop, name="Fantôme", stock_source="escarcelle", escarcelle_id="prd_999999"
    )
    StockLevel.objects.create(
        shop=shop, product=ghost, quantity=4, sequence=1, read_at=timezone.now()
    )
    distribution.catalogues.first().products.add(ghost)
    sim.sell_in_shop(products[0].escarcelle_id, "1")
    order = confirm(member, distribution, {products[0].pk: 2, ghost.pk: 4})
    assert {line.product_id: line.quantity for line in order.lines.all()} == {
        products[0].pk: 2,
        ghost.pk: 4,
    }
    assert StockLevel.objects.get(product=products[0]).quantity == 2
    assert StockLevel.objects.get(product=ghost).read_sequence is None


def test_a_sale_escarcelle_counted_by_the_live_reading_is_not_subtracted_twice(scene, sim):
    shop, products, _distribution, _member = scene
    product = products[0]
    other = make_membership(shop=shop, role=Role.BENEFICIARY)
    delivered = make_order(
        membership=other,
        distribution=make_distribution(shop=shop),
        lines={product: 1},
        status=OrderStatus.DELIVERED,
    )
    # The sales push reached Escarcelle after the last sync.
    moved = sim.sell_in_shop(product.escarcelle_id, "1")
    SaleOutbox.objects.create(
        shop=shop,
        distribution=delivered.distribution,
        order=delivered,
        idempotency_key="test-live-1",
        payload={},
        status="sent",
        sequence=moved["sequence"],
    )
    assert available_quantities(shop=shop, product_ids=[product.pk])[product.pk] == 2
    stock_live_read(shop=shop, product_ids=[product.pk])
    # Escarcelle's 2 already counts the sale: nothing left to subtract.
    assert available_quantities(shop=shop, product_ids=[product.pk])[product.pk] == 2


def test_the_next_sync_takes_the_row_back_as_of_its_own_reading(scene, sim):
    shop, products, distribution, member = scene
    product = products[0]
    sim.sell_in_shop(product.escarcelle_id, "1")
    confirm(member, distribution, {product.pk: 1})
    sim.sell_in_shop(product.escarcelle_id, "1")
    stock_sync_shop(shop=shop)
    level = StockLevel.objects.get(product=product)
    assert (level.quantity, level.read_sequence) == (1, None)
    assert available_quantities(shop=shop, product_ids=[product.pk])[product.pk] == 0


def test_an_older_live_reading_never_replaces_a_newer_stored_one(scene, sim):
    shop, products, _distribution, _member = scene
    product = products[0]
    level = StockLevel.objects.get(product=product)
    written = stock_live_apply(shop=shop, reading={product.pk: (D("9"), 1)}, sequence=1)
    assert written == (set(), set())
    assert StockLevel.objects.get(product=product).quantity == level.quantity


@pytest.mark.django_db(transaction=True)
def test_escarcelle_is_read_outside_the_confirmation_transaction(scene, sim, monkeypatch):
    _shop, products, distribution, member = scene
    seen: list[bool] = []
    real = EscarcelleClient.stock_current

    def spy(self, product_ids):  # noqa: ANN001, ANN202
        seen.append(connection.in_atomic_block)
        return real(self, product_ids)

    monkeypatch.setattr(EscarcelleClient, "stock_current", spy)
    confirm(member, distribution, {products[0].pk: 1})
    assert seen == [False]


# --- The rule as a property, with live readings and pushed events in any order -----------------

LIVE_STEPS = st.lists(
    st.one_of(
        *STOCK_MOVES,
        st.tuples(st.just("live"), st.integers(0, 1), st.just(0)),
        st.tuples(st.just("push"), st.integers(0, 30), st.just(0)),
    ),
    min_size=1,
    max_size=14,
)


@pytest.mark.slow
@pytest.mark.django_db
@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=LIVE_STEPS)
def test_available_never_exceeds_what_is_really_free_with_live_and_pushed_readings(
    steps, make_escarcelle_account, settings
):
    """The availability property of test_availability.py, with two more ways to learn a
    figure: the live check (``live``) and a pushed movement, any past one, so in any order
    and duplicated (``push``). For every product, whatever the interleaving:

    available ≤ Escarcelle's quantity now + in-shop sales after the product's own reading
                − online orders not yet recorded by Escarcelle
    """
    sim = make_escarcelle_account()
    settings.ESCARCELLE_BASE_URL = sim.base_url
    sim.seed(products=2, beneficiaries=0)
    shop = make_shop()
    connect(shop=shop, account=sim)
    products = bind_products(shop=shop, account=sim)
    distribution = make_distribution(shop=shop)
    stock_sync_shop(shop=shop)
    unposted: list = []
    till: list[tuple[int, int, Decimal]] = []  # (product index, sequence, quantity)
    with EscarcelleClient(sim.api_key, base_url=sim.base_url) as client:
        for action, index, quantity in steps:
            if action == "shop_sale":
                moved = sim.sell_in_shop(products[index].escarcelle_id, quantity)
                till.append((index, moved["sequence"], D(quantity)))
            elif action == "restock":
                sim.restock(products[index].escarcelle_id, quantity)
            elif action == "order":
                member = make_membership(shop=shop, role=Role.BENEFICIARY)
                online = make_order(
                    membership=member, distribution=distribution, lines={products[index]: quantity}
                )
                unposted.append((online, index))
            elif action == "post" and unposted:
                online, i = unposted.pop(index % len(unposted))
                sale = post_online_order(
                    client, online, products[i].escarcelle_id, key=f"live-prop-{online.pk}"
                )
                SaleOutbox.objects.create(
                    shop=shop,
                    distribution=distribution,
                    order=online,
                    idempotency_key=f"live-prop-{online.pk}",
                    payload={},
                    status="sent",
                    sequence=sale.sequence,
                )
            elif action == "read":
                assert stock_sync_shop(shop=shop).result == "ok"
            elif action == "live":
                stock_live_read(shop=shop, product_ids=[products[index].pk])
            elif action == "push":
                changes, _sequence = client.stock_changes(0)
                bound = {p.escarcelle_id: p.pk for p in products}
                mine = [c for c in changes if c.product_id in bound]
                if mine:
                    change = mine[index % len(mine)]
                    stock_live_apply(
                        shop=shop,
                        reading={bound[change.product_id]: (change.quantity, change.sequence)},
                        sequence=change.sequence,
                    )

            now = sim.stock()
            figures = available_quantities(shop=shop, product_ids=[p.pk for p in products])
            shop_reading = StockSyncState.objects.get(shop=shop).sequence or 0
            for i, product in enumerate(products):
                level = StockLevel.objects.get(product=product)
                reading = max(shop_reading, level.read_sequence or 0)
                sold_after = sum((q for j, s, q in till if j == i and s > reading), start=D(0))
                pending = sum((o.lines.get().quantity for o, j in unposted if j == i), start=D(0))
                free = now[product.escarcelle_id] - pending
                assert figures[product.pk] <= free + sold_after


# --- The ordering page's poll: the same live read, at most once per grocery and period ----------


def test_the_ordering_pages_poll_shows_a_till_sale_reading_escarcelle_once_per_period(
    scene, sim, client
):
    shop, products, distribution, member = scene
    product = products[0]
    client.force_login(member.user)
    page = client.get(
        reverse(
            "distributions:order_distribution",
            kwargs={"shop_slug": shop.slug, "pk": distribution.pk},
        )
    )
    text = page.content.decode()
    assert "Quantités lues en magasin" in text and "il y a " in text
    sim.sell_in_shop(product.escarcelle_id, "3")
    sold = client.get(next_poll(page), HTTP_HX_REQUEST="true")
    assert f'id="avail-{product.pk}" hx-swap-oob="true"' in sold.content.decode()
    assert "épuisé" in sold.content.decode()
    assert StockLevel.objects.get(product=product).quantity == 0
    # The poll read it first; the refusal still says why.
    with pytest.raises(Refusal) as refused:
        confirm(member, distribution, {product.pk: 1})
    assert refused.value.code == "sold_in_shop"
    # Within the period nobody reads Escarcelle again, whoever polls.
    sim.restock(product.escarcelle_id, "2")
    quiet = client.get(next_poll(sold), HTTP_HX_REQUEST="true")
    assert "hx-swap-oob" not in quiet.content.decode()
    cache.clear()  # the period is over
    back = client.get(next_poll(quiet), HTTP_HX_REQUEST="true").content.decode()
    assert f'id="avail-{product.pk}" hx-swap-oob="true" data-label="Disponible :">2<' in back


def test_the_poll_stays_fast_when_escarcelle_hangs(scene, sim, client):
    shop, products, distribution, member = scene
    client.force_login(member.user)
    sim.set_faults(hang_s=4, paths=["/api/v1/stock"])
    poll = reverse(
        "distributions:availability", kwargs={"shop_slug": shop.slug, "pk": distribution.pk}
    )
    started = time.monotonic()
    response = client.get(poll, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert time.monotonic() - started < LIVE_BUDGET_S + 0.5
    assert f'id="avail-{products[0].pk}" hx-swap-oob="true" data-label="Disponible :">3<' in (
        response.content.decode()
    )
