"""Bad input: the sync stops cleanly, keeps the last good figures, records why, retries later."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.models import Product, StockSource
from escarcelle.connection import connection_save
from escarcelle.stock.models import StockLevel, StockSyncRun, StockSyncState
from escarcelle.stock.services import stock_sync_shop
from tests.escarcelle.stock.crafted import crafted_server

D = Decimal
GOOD = [("prd_1", "5.000", 3), ("prd_2", "2.000", 9), ("prd_3", "1.000", 0)]


@pytest.fixture
def crafted(settings):
    yield from crafted_server()


@pytest.fixture
def synced(shop, crafted, settings, clock):
    """A shop bound to three crafted products, after one good full read at sequence 10."""
    settings.ESCARCELLE_BASE_URL = crafted.base_url
    connection_save(shop=shop, user=None, api_key="cle-factice")
    for eid in ("prd_1", "prd_2", "prd_3"):
        Product.objects.create(
            shop=shop,
            name=eid,
            price=D("1"),
            escarcelle_id=eid,
            stock_source=StockSource.ESCARCELLE,
        )
    crafted.stock(GOOD, sequence=10)
    assert stock_sync_shop(shop=shop, now=clock.now).result == "ok"
    return shop


def figures(shop) -> dict[str, tuple[Decimal, int]]:
    return {
        eid: (q, s)
        for eid, q, s in StockLevel.objects.filter(shop=shop).values_list(
            "product__escarcelle_id", "quantity", "sequence"
        )
    }


def assert_kept(shop, code: str) -> None:
    state = StockSyncState.objects.get(shop=shop)
    assert figures(shop) == {"prd_1": (D("5"), 3), "prd_2": (D("2"), 9), "prd_3": (D("1"), 0)}
    assert state.sequence == 10
    assert (state.last_result, state.error_code) == ("failed", code)
    assert state.error_message and state.next_run_at is not None
    run = StockSyncRun.objects.filter(shop=shop).first()
    assert (run.result, run.error_code) == ("failed", code)


def test_a_sequence_going_backwards_in_changes_keeps_the_last_figures(synced, crafted, clock):
    crafted.changes([("prd_1", "4.000", 11)], sequence=8)
    stock_sync_shop(shop=synced, now=clock.advance(hours=1))
    assert_kept(synced, "sequence_backwards")


def test_changes_out_of_order_keep_the_last_figures(synced, crafted, clock):
    crafted.changes([("prd_1", "4.000", 12), ("prd_2", "1.000", 11)], sequence=12)
    stock_sync_shop(shop=synced, now=clock.advance(hours=1))
    assert_kept(synced, "sequence_backwards")


def test_a_change_already_seen_keeps_the_last_figures(synced, crafted, clock):
    crafted.changes([("prd_1", "4.000", 10)], sequence=12)
    stock_sync_shop(shop=synced, now=clock.advance(hours=1))
    assert_kept(synced, "sequence_backwards")


def test_a_snapshot_older_than_the_last_reading_keeps_the_last_figures(synced, crafted, clock):
    crafted.stock([("prd_1", "0.000", 2)], sequence=5)
    stock_sync_shop(shop=synced, now=clock.advance(hours=1), force_full=True)
    assert_kept(synced, "sequence_backwards")


def test_a_cursor_loop_stops_the_read(synced, crafted, clock):
    page = {
        "data": [
            {
                "product_id": "prd_1",
                "quantity": "0.000",
                "delta": "-5.000",
                "sequence": 11,
                "reason": "in_shop_sale",
            }
        ],
        "next_cursor": "encore",
        "sequence": 11,
    }
    crafted.script["/api/v1/stock/changes"] = lambda q: (200, page, 0)
    stock_sync_shop(shop=synced, now=clock.advance(hours=1))
    assert_kept(synced, "cursor_loop")


def test_pages_that_repeat_with_new_cursors_stop_the_read(synced, crafted, clock):
    def answer(query):
        n = int(query.get("cursor", "0"))
        data = [{"product_id": "prd_1", "quantity": "1.000", "sequence": 3}]
        return 200, {"data": data, "next_cursor": str(n + 1) if n < 3 else None, "sequence": 12}, 0

    crafted.script["/api/v1/stock"] = answer
    stock_sync_shop(shop=synced, now=clock.advance(hours=1), force_full=True)
    assert_kept(synced, "cursor_loop")


def test_a_timeout_in_the_middle_of_the_pages_writes_nothing(synced, crafted, clock, settings):
    settings.ESCARCELLE_READ_TIMEOUT = 0.3
    crafted.stock([("prd_1", "0.000", 11), ("prd_2", "0.000", 12), ("prd_3", "0.000", 13)], 13)
    first_page = crafted.script["/api/v1/stock"]

    def slow_second_page(query):
        status, body, _delay = first_page(query)
        return status, body, (1.0 if "cursor" in query else 0)

    crafted.script["/api/v1/stock"] = slow_second_page
    stock_sync_shop(shop=synced, now=clock.advance(hours=1), force_full=True)
    assert_kept(synced, "timeout")


def test_a_quantity_with_too_many_decimals_keeps_the_last_figures(synced, crafted, clock):
    crafted.changes([("prd_1", "4.12345", 11)], sequence=11)
    stock_sync_shop(shop=synced, now=clock.advance(hours=1))
    assert_kept(synced, "bad_quantity")


def test_after_bad_input_the_next_good_answer_is_applied(synced, crafted, clock):
    crafted.changes([("prd_1", "4.000", 11)], sequence=8)
    stock_sync_shop(shop=synced, now=clock.advance(hours=1))
    crafted.changes([("prd_1", "4.000", 11), ("prd_9", "7.000", 12)], sequence=12)
    run = stock_sync_shop(shop=synced, now=clock.advance(minutes=2))
    assert (run.result, run.products_changed, run.unknown_ignored) == ("ok", 1, 1)
    assert figures(synced)["prd_1"] == (D("4"), 11)
    assert StockSyncState.objects.get(shop=synced).sequence == 12
