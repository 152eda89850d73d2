"""No stuck state after a crash: a short lease, renewed while the sync runs, lapses soon after
its worker dies; the next minute tick hands the shop to another worker, and the Stocks page
says what happened and when it will be retried."""

from __future__ import annotations

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from escarcelle.stock import services
from escarcelle.stock.models import StockSyncRun, StockSyncState
from escarcelle.stock.services import stock_sync_claim, stock_sync_shop
from escarcelle.stock.tasks import stock_sync_tick_run


def test_a_worker_killed_during_a_sync_is_taken_over_within_a_minute(connected_shop, clock):
    shop, _products = connected_shop
    assert stock_sync_tick_run(now=clock.now) == [shop.pk]  # first sync: due at once
    StockSyncRun.objects.all().delete()
    # The next hourly run is far; a worker claims the shop (a forced sync) and is killed.
    start = clock.advance(minutes=1)
    assert stock_sync_claim(shop=shop, now=start, worker="killed")
    # While its lease lasts, nobody takes the shop (the dead worker might still be alive).
    assert stock_sync_tick_run(now=start + datetime.timedelta(seconds=20)) == []
    # It never renews it: within a minute, the tick hands the shop out and the sync runs.
    assert stock_sync_tick_run(now=start + datetime.timedelta(minutes=1)) == [shop.pk]
    assert StockSyncRun.objects.filter(shop=shop, result="ok").count() == 1
    state = StockSyncState.objects.get(shop=shop)
    assert state.claimed_until is None and state.claimed_by == ""
    assert state.next_run_at > start + datetime.timedelta(minutes=20)  # back on its slot


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own connection
def test_a_live_sync_renews_its_lease_so_nobody_takes_it_over(connected_shop, monkeypatch):
    shop, _products = connected_shop
    monkeypatch.setattr(services, "HEARTBEAT_S", 0.05)
    seen: list[datetime.datetime | None] = []
    read = services._read

    def slow_read(*args, **kwargs):
        claimed = StockSyncState.objects.get(shop=shop).claimed_until
        time.sleep(0.5)  # a slow Escarcelle: the heartbeat beats meanwhile
        seen.append(claimed)
        seen.append(StockSyncState.objects.get(shop=shop).claimed_until)
        return read(*args, **kwargs)

    monkeypatch.setattr(services, "_read", slow_read)
    assert stock_sync_shop(shop=shop).result == "ok"
    first, renewed = seen
    assert first is not None and renewed is not None
    assert renewed - first >= datetime.timedelta(seconds=0.3)


def test_the_stocks_page_shows_a_stuck_sync_with_its_retry_time_and_the_button(
    connected_shop, manager_client
):
    shop, _products = connected_shop
    stock_sync_shop(shop=shop)
    StockSyncState.objects.filter(shop=shop).update(
        claimed_until=timezone.now() - datetime.timedelta(seconds=5), claimed_by="killed"
    )
    html = manager_client.get(reverse("escarcelle:stocks", kwargs={"shop_slug": shop.slug}))
    page = html.content.decode()
    assert "est interrompue" in page and "Nouvel essai automatique vers" in page
    assert "Synchroniser maintenant" in page and "Synchronisation en cours" not in page
    # The button works again: the sync takes the lapsed lease and runs.
    manager_client.post(reverse("escarcelle:stocks_sync", kwargs={"shop_slug": shop.slug}))
    assert StockSyncRun.objects.filter(shop=shop, result="ok").count() == 2
    assert StockSyncState.objects.get(shop=shop).claimed_until is None
