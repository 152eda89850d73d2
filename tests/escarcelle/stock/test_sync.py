"""The stock sync over real HTTP against the emulator: full and incremental reads, bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.html import escape

from catalog.models import Product
from escarcelle.stock.models import StockLevel, StockSyncRun, StockSyncState
from escarcelle.stock.services import stock_sync_shop
from escarcelle.stock.tasks import stock_sync_tick_run
from tests.factories import bind_products, connect, make_catalogue, make_distribution, make_product

D = Decimal


def levels(shop) -> dict[str, Decimal]:
    return dict(
        StockLevel.objects.filter(shop=shop).values_list("product__escarcelle_id", "quantity")
    )


def test_the_first_sync_reads_everything_and_stores_the_sequence(connected_shop, sim):
    shop, products = connected_shop
    run = stock_sync_shop(shop=shop)
    assert run.result == "ok" and run.kind == "full"
    assert run.products_changed == 5
    assert levels(shop) == sim.stock()
    state = StockSyncState.objects.get(shop=shop)
    assert state.sequence == sim.sequence() and state.full_read_at is not None


def test_the_next_sync_reads_only_the_changes(connected_shop, sim, clock):
    shop, products = connected_shop
    stock_sync_shop(shop=shop, now=clock.now)
    sold = products[0].escarcelle_id
    sim.sell_in_shop(sold, "2")
    sim.restock(products[1].escarcelle_id, "1.5")
    sim.sell_in_shop(sold, "1")
    run = stock_sync_shop(shop=shop, now=clock.advance(hours=1))
    assert run.kind == "incremental" and run.products_changed == 2
    assert levels(shop) == sim.stock()
    assert StockSyncState.objects.get(shop=shop).sequence == sim.sequence()


def test_a_full_read_runs_again_once_a_day(connected_shop, sim, clock):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop, now=clock.now)
    assert stock_sync_shop(shop=shop, now=clock.advance(hours=23)).kind == "incremental"
    assert stock_sync_shop(shop=shop, now=clock.advance(hours=2)).kind == "full"
    assert stock_sync_shop(shop=shop, now=clock.advance(hours=1)).kind == "incremental"


def test_a_negative_quantity_is_stored_as_read(connected_shop, sim):
    shop, products = connected_shop
    sim.adjust(products[0].escarcelle_id, "0")
    sim.sell_in_shop(products[0].escarcelle_id, "3")
    stock_sync_shop(shop=shop)
    assert levels(shop)[products[0].escarcelle_id] == D("-3")


def test_changes_for_products_never_imported_are_ignored_and_counted(shop, sim):
    sim.seed(products=4, beneficiaries=0)
    connect(shop=shop, account=sim)
    ids = [p["id"] for p in sim.products()]
    bind_products(shop=shop, account=sim, only=ids[:2])
    hand = make_product(shop=shop, stock="4")
    assert stock_sync_shop(shop=shop).unknown_ignored == 2
    sim.sell_in_shop(ids[3], "1")
    sim.sell_in_shop(ids[0], "1")
    run = stock_sync_shop(shop=shop, force_full=False)
    assert (run.result, run.products_changed, run.unknown_ignored) == ("ok", 1, 1)
    assert set(levels(shop)) == set(ids[:2])
    hand.refresh_from_db()
    assert hand.stock == D("4") and not StockLevel.objects.filter(product=hand).exists()


def test_a_product_archived_in_escarcelle_stops_being_orderable_at_the_next_sync(
    connected_shop, sim
):
    shop, products = connected_shop
    never_imported = make_product(shop=shop, name="Confiture maison", stock="3")
    stock_sync_shop(shop=shop)
    sim.archive_product(products[2].escarcelle_id)
    run = stock_sync_shop(shop=shop)
    assert run.products_archived == 1
    active = dict(Product.objects.filter(shop=shop).values_list("pk", "active"))
    assert active[products[2].pk] is False
    assert active[products[0].pk] is True and active[never_imported.pk] is True


def test_history_is_pruned_after_thirty_days(connected_shop, clock):
    from escarcelle.stock.services import stock_sync_history_prune

    shop, _products = connected_shop
    stock_sync_shop(shop=shop, now=clock.now - datetime.timedelta(days=31))
    stock_sync_shop(shop=shop, now=clock.now)
    assert stock_sync_history_prune(now=clock.now) == 1
    assert StockSyncRun.objects.filter(shop=shop).count() == 1


def test_the_ordering_page_drops_a_product_archived_in_escarcelle_after_the_next_sync(
    connected_shop, sim, clock, beneficiary_client
):
    shop, products = connected_shop
    for product in products:
        sim.adjust(product.escarcelle_id, "10")
    hand = make_product(shop=shop, name="Confiture maison", stock="3")
    offered = [*products, hand]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=offered)]
    )
    page = reverse(
        "distributions:order_distribution", kwargs={"shop_slug": shop.slug, "pk": distribution.pk}
    )
    cart = reverse("distributions:cart", kwargs={"shop_slug": shop.slug, "pk": distribution.pk})
    stock_sync_tick_run(now=clock.now)
    html = beneficiary_client.get(page).content.decode()
    assert all(escape(p.name) in html for p in offered)

    archived = products[2]
    sim.archive_product(archived.escarcelle_id)
    html = beneficiary_client.get(page).content.decode()
    assert escape(archived.name) in html  # not before the sync
    stock_sync_tick_run(now=StockSyncState.objects.get(shop=shop).next_run_at)
    html = beneficiary_client.get(page).content.decode()
    assert escape(archived.name) not in html
    assert all(escape(p.name) in html for p in offered if p != archived)
    response = beneficiary_client.post(cart, {"product": archived.pk, "quantity": "1"}, follow=True)
    assert "pas proposé à cette distribution" in response.content.decode()
    hand.refresh_from_db()
    assert hand.active and hand.stock == D("3")
