"""The Stocks page: figures per product, filters, the banner, "Synchroniser maintenant"."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import StockSource
from distributions.availability import available_quantities, displayable
from epiclic.numbers import parse_decimal
from escarcelle.models import Connection
from escarcelle.stock.models import StockSyncRun, StockSyncState
from escarcelle.stock.services import stock_sync_shop
from escarcelle.stock.tasks import stock_sync_tick_run
from tests.factories import (
    bind_products,
    connect,
    make_catalogue,
    make_distribution,
    make_membership,
    make_order,
    make_product,
    make_shop,
)


def url(shop, name="escarcelle:stocks") -> str:
    return reverse(name, kwargs={"shop_slug": shop.slug})


def row_of(html: str, name: str) -> str:
    match = re.search(r"<tr[^>]*>\s*<td>" + re.escape(name) + r".*?</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_it_guards_the_pages(check_tenancy, shop):
    check_tenancy(url(shop))
    check_tenancy(url(shop, "escarcelle:stocks_status"))
    check_tenancy(url(shop, "escarcelle:stocks_sync"), method="post")


def test_in_shop_sales_show_up_on_the_page_after_the_next_sync(
    connected_shop, sim, manager_client, clock
):
    shop, products = connected_shop
    stock_sync_tick_run(now=clock.now)
    product = products[0]
    before = sim.stock()[product.escarcelle_id]
    sim.sell_in_shop(product.escarcelle_id, "2")
    html = manager_client.get(url(shop)).content.decode()
    assert cells(row_of(html, product.name))[2] == f"{before:f}".rstrip("0").rstrip(".")
    stock_sync_tick_run(now=StockSyncState.objects.get(shop=shop).next_run_at)
    html = manager_client.get(url(shop)).content.decode()
    after = before - 2
    assert cells(row_of(html, product.name))[2] == f"{after:f}".rstrip("0").rstrip(".")


def test_rows_show_quantity_reserved_and_available_with_low_stock_highlighted(
    connected_shop, sim, manager_client
):
    shop, products = connected_shop
    product = products[0]
    sim.adjust(product.escarcelle_id, "5")
    stock_sync_shop(shop=shop)
    member = make_membership(shop=shop, role="beneficiary")
    make_order(membership=member, distribution=make_distribution(shop=shop), lines={product: 3})
    hand = make_product(shop=shop, name="Confiture maison", stock="1")
    html = manager_client.get(url(shop)).content.decode()
    row = row_of(html, product.name)
    assert cells(row)[2:5] == ["5", "3", "2"]
    assert 'class="low"' in row
    hand_row = row_of(html, "Confiture maison")
    assert cells(hand_row)[1:5] == ["géré à la main", "1", "0", "1"]
    # The ordering pages use the same figures.
    assert available_quantities(shop=shop, product_ids=[product.pk, hand.pk]) == {
        product.pk: 2,
        hand.pk: 1,
    }
    assert "Synchroniser maintenant" in html
    assert "Dernière synchronisation réussie" in html
    assert "Produit de l autre épicerie" not in html


def test_disponible_en_ligne_is_the_figure_the_ordering_page_offers(
    connected_shop, sim, manager_client, beneficiary_client, beneficiary
):
    shop, products = connected_shop
    sim.adjust(products[0].escarcelle_id, "5")
    sim.adjust(products[1].escarcelle_id, "-2")
    stock_sync_shop(shop=shop)
    never_read = make_product(shop=shop, name="Jamais lu", stock="9", stock_source="escarcelle")
    jam = make_product(shop=shop, name="Confiture maison", stock="4")
    honey = make_product(shop=shop, name="Miel", stock="1")  # lowered under its orders
    everything = [*products, never_read, jam, honey]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=everything)]
    )
    make_order(
        membership=make_membership(shop=shop, role="beneficiary"),
        distribution=distribution,
        lines={products[0]: 3, jam: 1, honey: 2},
    )
    available = available_quantities(shop=shop)
    html = manager_client.get(url(shop)).content.decode()
    on_the_ordering_page = beneficiary_client.get(
        reverse(
            "distributions:order_distribution",
            kwargs={"shop_slug": shop.slug, "pk": distribution.pk},
        )
    ).context["can_order"]
    for product in everything:
        shown = parse_decimal(cells(row_of(html, product.name))[4])
        assert shown == displayable(available[product.pk]) == on_the_ordering_page[product.pk]
    assert [displayable(available[p.pk]) for p in (products[0], never_read, jam, honey)] == [
        2,
        0,
        3,
        0,
    ]


def test_negative_escarcelle_stock_is_shown_as_zero_with_a_flag(
    connected_shop, sim, manager_client
):
    shop, products = connected_shop
    sim.adjust(products[0].escarcelle_id, "-2")
    stock_sync_shop(shop=shop)
    row = row_of(manager_client.get(url(shop)).content.decode(), products[0].name)
    assert cells(row)[2].startswith("0") and "-2" in cells(row)[2]
    assert cells(row)[4] == "0"


def test_filters_by_source_low_stock_and_search(connected_shop, sim, manager_client):
    shop, products = connected_shop
    for product in products:
        sim.adjust(product.escarcelle_id, "50")
    sim.adjust(products[1].escarcelle_id, "2")
    stock_sync_shop(shop=shop)
    make_product(shop=shop, name="Confiture maison", stock="10")

    def names(response) -> list[str]:
        table = response.content.decode().split('id="stock-table"')[1].split("</table>")[0]
        return [n.strip() for n in re.findall(r"<tr[^>]*>\s*<td>([^<]+)", table)]

    assert names(manager_client.get(url(shop), {"source": "manual"})) == ["Confiture maison"]
    assert len(names(manager_client.get(url(shop), {"source": StockSource.ESCARCELLE}))) == 5
    assert names(manager_client.get(url(shop), {"low": "on"})) == [products[1].name]
    assert names(manager_client.get(url(shop), {"q": "confiture"})) == ["Confiture maison"]
    partial = manager_client.get(
        url(shop), {"q": "confiture"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="stock-table"
    )
    assert b"<h1>" not in partial.content and b"Confiture maison" in partial.content


def test_the_query_count_does_not_grow_with_products(shop, sim, manager_client):
    connect(shop=shop, account=sim)
    sim.seed(products=3, beneficiaries=0)
    bind_products(shop=shop, account=sim)
    make_product(shop=shop, stock="2")
    stock_sync_shop(shop=shop)

    def count(params: dict) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(url(shop), params).status_code == 200
        return len(queries)

    few = [count({}), count({"low": "on"})]
    sim.seed(products=30, beneficiaries=0, seed=2)
    from catalog.models import Product

    known = set(Product.objects.values_list("escarcelle_id", flat=True))
    bind_products(
        shop=shop, account=sim, only=[p["id"] for p in sim.products() if p["id"] not in known]
    )
    for _ in range(10):
        make_product(shop=shop, stock="2")
    stock_sync_shop(shop=shop, force_full=True)
    member = make_membership(shop=shop, role="beneficiary")
    make_order(
        membership=member,
        distribution=make_distribution(shop=shop),
        lines={p: 1 for p in Product.objects.filter(shop=shop)[:20]},
    )
    assert [count({}), count({"low": "on"})] == few


def test_the_banner_warns_when_the_last_success_is_older_than_two_hours(
    connected_shop, manager_client
):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop, now=timezone.now() - datetime.timedelta(hours=3))
    html = manager_client.get(url(shop)).content.decode()
    assert "depuis plus de deux heures" in html and "banner warn" in html


def test_the_banner_gives_the_reason_of_a_failure(connected_shop, sim, manager_client):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop)
    sim.set_faults(outage_s=600)
    stock_sync_shop(shop=shop)
    html = manager_client.get(url(shop)).content.decode()
    assert "banner bad" in html and "Escarcelle injoignable" in html
    sim.clear_faults()
    sim.revoke_key()
    stock_sync_shop(shop=shop)
    html = manager_client.get(url(shop)).content.decode()
    assert "clé refusée" in html and "suspendues" in html


def test_a_shop_without_connection_is_told_where_to_connect(shop, manager_client):
    make_product(shop=shop, name="Riz", stock="4")
    html = manager_client.get(url(shop)).content.decode()
    assert "pas connecté à Escarcelle" in html and "Synchroniser maintenant" not in html
    assert cells(row_of(html, "Riz"))[2:5] == ["4", "0", "4"]


def test_synchroniser_maintenant_queues_a_sync_and_shows_its_result(connected_shop, manager_client):
    shop, _products = connected_shop
    response = manager_client.post(url(shop, "escarcelle:stocks_sync"))
    assert response.status_code == 302
    assert StockSyncRun.objects.filter(shop=shop, result="ok").count() == 1


def test_synchroniser_maintenant_reloads_the_figures_when_the_sync_ended_before_the_answer(
    connected_shop, sim, manager_client
):
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    product = products[0]
    page = manager_client.get(url(shop), {"q": product.name}).content.decode()
    listener = re.search(r'<div id="stock-table"([^>]*)>', page).group(1)
    assert 'hx-trigger="stock-synced from:body"' in listener
    table_url = re.search(r'hx-get="([^"]*)"', listener).group(1).replace("&amp;", "&")
    assert table_url.startswith(url(shop)) and "q=" in table_url  # the filters are kept
    sim.sell_in_shop(product.escarcelle_id, "2")
    after = sim.stock()[product.escarcelle_id]
    # Huey runs the task at once here: the sync is over before the answer is built.
    response = manager_client.post(url(shop, "escarcelle:stocks_sync"), HTTP_HX_REQUEST="true")
    assert StockSyncRun.objects.filter(shop=shop).count() == 2
    assert json.loads(response.headers["HX-Trigger"]) == {"stock-synced": {}}
    status = response.content.decode()
    assert 'id="sync-status"' in status and "Dernière synchronisation réussie" in status
    assert "every 2s" not in status and "Synchroniser maintenant" in status
    # What the table's listener fetches:
    table = manager_client.get(table_url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="stock-table")
    html = table.content.decode()
    assert "<h1>" not in html
    assert cells(row_of(html, product.name))[2] == f"{after:f}".rstrip("0").rstrip(".")


def test_synchroniser_maintenant_shows_the_progress_while_the_sync_waits_for_a_worker(
    connected_shop, manager_client, monkeypatch
):
    shop, _products = connected_shop
    monkeypatch.setattr("escarcelle.stock.views.stock_sync_task", lambda shop_id: None)
    partial = manager_client.post(url(shop, "escarcelle:stocks_sync"), HTTP_HX_REQUEST="true")
    assert "HX-Trigger" not in partial.headers
    assert b'id="sync-status"' in partial.content and b"<h1>" not in partial.content
    assert b"Synchronisation demand" in partial.content and b"every 2s" in partial.content
    assert not StockSyncRun.objects.filter(shop=shop).exists()


def test_the_progress_block_polls_while_a_sync_runs_then_reloads_the_page(
    connected_shop, manager_client
):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop)
    StockSyncState.objects.filter(shop=shop).update(
        claimed_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    running = manager_client.get(
        url(shop, "escarcelle:stocks_status"), {"poll": "1"}, HTTP_HX_REQUEST="true"
    )
    assert (
        b"Synchronisation en cours" in running.content
        and b'hx-trigger="every 2s"' in running.content
    )
    StockSyncState.objects.filter(shop=shop).update(claimed_until=None)
    done = manager_client.get(
        url(shop, "escarcelle:stocks_status"), {"poll": "1"}, HTTP_HX_REQUEST="true"
    )
    assert done.headers.get("HX-Refresh") == "true"


def test_the_sync_history_shows_on_the_synchro_escarcelle_page(connected_shop, manager_client):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop)
    html = manager_client.get(url(shop, "escarcelle:settings")).content.decode()
    assert "Synchronisation des stocks" in html and "réussie" in html


def test_a_refused_key_is_shown_as_suspending_the_schedule(connected_shop, sim, manager_client):
    shop, _products = connected_shop
    Connection.objects.filter(shop=shop).update(key_rejected_at=timezone.now())
    assert "suspendues" in manager_client.get(url(shop)).content.decode()


@pytest.fixture(autouse=True)
def _other_shop_data(db):
    """Another shop's products never show up on this shop's page."""
    make_product(shop=make_shop(), name="Produit de l autre épicerie", stock="9")
    yield


def test_a_manager_request_during_a_running_sync_follows_that_sync(connected_shop, manager_client):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop)
    StockSyncState.objects.filter(shop=shop).update(
        claimed_until=timezone.now() + datetime.timedelta(minutes=5), claimed_by="autre"
    )
    manager_client.post(url(shop, "escarcelle:stocks_sync"))
    state = StockSyncState.objects.get(shop=shop)
    assert state.requested_at is None and StockSyncRun.objects.filter(shop=shop).count() == 1
    StockSyncState.objects.filter(shop=shop).update(claimed_until=None)
    status = manager_client.get(url(shop, "escarcelle:stocks_status"), HTTP_HX_REQUEST="true")
    assert b"every 2s" not in status.content and b"Synchroniser maintenant" in status.content
