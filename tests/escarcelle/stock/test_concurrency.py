"""A shop is never synced by two workers at once (the lease is a conditional UPDATE)."""

from __future__ import annotations

import threading

import pytest

from escarcelle.stock import services
from escarcelle.stock.models import StockSyncRun, StockSyncState
from escarcelle.stock.services import stock_sync_shop
from tests.concurrency import run_together


@pytest.mark.django_db(transaction=True)
def test_two_workers_started_for_the_same_shop_do_not_both_sync(connected_shop, monkeypatch):
    shop, _products = connected_shop
    # The worker that wins the lease holds it until the other one has tried: no timing.
    other_tried = threading.Event()
    real_read = services._read

    def read_once_the_other_tried(*args, **kwargs):
        assert other_tried.wait(timeout=30), "the other worker never tried"
        return real_read(*args, **kwargs)

    monkeypatch.setattr(services, "_read", read_once_the_other_tried)

    def worker() -> StockSyncRun | None:
        run = stock_sync_shop(shop=shop)
        if run is None:
            other_tried.set()
        return run

    results = run_together(worker, worker, timeout=60)  # an error in either fails the test
    assert sorted(r is None for r in results) == [False, True]
    assert StockSyncRun.objects.filter(shop=shop).count() == 1
    state = StockSyncState.objects.get(shop=shop)
    assert state.claimed_until is None and state.last_result == "ok"


def test_a_lease_left_by_a_dead_worker_expires(connected_shop, clock):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop, now=clock.now)
    StockSyncState.objects.filter(shop=shop).update(
        claimed_until=clock.advance(minutes=5), claimed_by="mort"
    )
    assert stock_sync_shop(shop=shop, now=clock.now) is None
    assert stock_sync_shop(shop=shop, now=clock.advance(minutes=6)).result == "ok"
