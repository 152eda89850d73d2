"""A shop is never synced by two workers at once (the lease is a conditional UPDATE)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from escarcelle.stock.models import StockSyncRun, StockSyncState
from escarcelle.stock.services import stock_sync_shop


@pytest.mark.django_db(transaction=True)
def test_two_workers_started_for_the_same_shop_do_not_both_sync(connected, sim):
    shop, _products = connected
    # Each read takes a while, so that the second worker arrives while the first holds it.
    sim.set_faults(latency_ms=600, paths=["/api/v1/stock*"])
    barrier = threading.Barrier(2)
    results: list[object] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(stock_sync_shop(shop=shop))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(r is None for r in results) == [False, True]
    assert StockSyncRun.objects.filter(shop=shop).count() == 1
    state = StockSyncState.objects.get(shop=shop)
    assert state.claimed_until is None and state.last_result == "ok"


def test_a_lease_left_by_a_dead_worker_expires(connected, clock):
    shop, _products = connected
    stock_sync_shop(shop=shop, now=clock.now)
    StockSyncState.objects.filter(shop=shop).update(
        claimed_until=clock.advance(minutes=5), claimed_by="mort"
    )
    assert stock_sync_shop(shop=shop, now=clock.now) is None
    assert stock_sync_shop(shop=shop, now=clock.advance(minutes=6)).result == "ok"
