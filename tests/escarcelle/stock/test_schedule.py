"""The hourly round with the clock under control: slots, back-off, e-mails, a revoked key."""

from __future__ import annotations

import datetime
import random

from django.urls import reverse

from escarcelle.connection import connection_save
from escarcelle.models import Connection
from escarcelle.stock import schedule
from escarcelle.stock.models import StockLevel, StockSyncRun, StockSyncState
from escarcelle.stock.tasks import stock_sync_tick_run
from tests.emails import sent_emails
from tests.factories import make_product, make_shop

MINUTE = datetime.timedelta(minutes=1)


def runs(shop) -> list[str]:
    return list(
        StockSyncRun.objects.filter(shop=shop).order_by("id").values_list("result", flat=True)
    )


def test_a_new_shop_is_synced_at_the_first_tick_then_at_its_hourly_slot(connected_shop, sim, clock):
    shop, products = connected_shop
    assert stock_sync_tick_run(now=clock.now) == [shop.pk]
    assert runs(shop) == ["ok"]
    slot = StockSyncState.objects.get(shop=shop).next_run_at
    assert slot == schedule.next_run_after_success(shop.pk, clock.now)
    assert (
        clock.now + datetime.timedelta(minutes=30)
        <= slot
        <= clock.now + datetime.timedelta(hours=1)
    )

    sim.sell_in_shop(products[0].escarcelle_id, "2")
    assert stock_sync_tick_run(now=slot - MINUTE) == []
    assert runs(shop) == ["ok"]
    assert stock_sync_tick_run(now=slot) == [shop.pk]
    assert runs(shop) == ["ok", "ok"]
    level = StockLevel.objects.get(product=products[0])
    assert level.quantity == sim.stock()[products[0].escarcelle_id]


def test_shops_are_spread_over_the_hour():
    offsets = {schedule.slot_offset(shop_id).seconds // 60 for shop_id in range(1, 61)}
    assert len(offsets) > 40


def test_shops_without_connection_or_imported_products_are_not_synced(connected_shop, clock):
    shop, _products = connected_shop
    alone = make_shop()
    make_product(shop=alone, stock="3")
    no_products = make_shop()
    Connection.objects.create(
        shop=no_products, api_key_encrypted="x", key_last4="x", account_id="a", account_name="a"
    )
    assert stock_sync_tick_run(now=clock.now) == [shop.pk]
    assert not StockSyncRun.objects.exclude(shop=shop).exists()


def test_failures_back_off_send_one_email_and_one_on_recovery(connected_shop, sim, clock):
    shop, products = connected_shop
    stock_sync_tick_run(now=clock.now)
    good = dict(StockLevel.objects.values_list("product_id", "quantity"))
    sim.sell_in_shop(products[0].escarcelle_id, "1")
    sim.set_faults(outage_s=3600)
    slot = StockSyncState.objects.get(shop=shop).next_run_at

    stock_sync_tick_run(now=slot)
    state = StockSyncState.objects.get(shop=shop)
    assert runs(shop) == ["ok", "failed"]
    assert state.error_code == "unavailable" and "Escarcelle ne répond pas" in state.error_message
    assert state.next_run_at == slot + 2 * MINUTE
    assert dict(StockLevel.objects.values_list("product_id", "quantity")) == good

    assert stock_sync_tick_run(now=slot + MINUTE) == []
    stock_sync_tick_run(now=slot + 2 * MINUTE)
    assert StockSyncState.objects.get(shop=shop).next_run_at == slot + 6 * MINUTE
    assert sent_emails() == []
    stock_sync_tick_run(now=slot + 6 * MINUTE)
    stock_sync_tick_run(now=slot + 14 * MINUTE)
    assert runs(shop) == ["ok", "failed", "failed", "failed", "failed"]
    assert len(sent_emails()) == 1
    assert sent_emails()[0].to == [shop.contact_email]
    assert "Escarcelle ne répond pas" in sent_emails()[0].body

    sim.clear_faults()
    stock_sync_tick_run(now=slot + 30 * MINUTE)
    assert runs(shop)[-1] == "ok"
    assert len(sent_emails()) == 2 and "fonctionne à nouveau" in sent_emails()[1].subject
    state = StockSyncState.objects.get(shop=shop)
    assert state.consecutive_failures == 0 and state.error_message == ""
    assert StockLevel.objects.get(product=products[0]).quantity == good[products[0].pk] - 1


def test_backoff_never_goes_past_the_next_hourly_slot():
    now = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
    for failures in range(1, 12):
        retry = schedule.next_run_after_failure(7, now, failures=failures)
        assert now < retry <= schedule.next_slot(7, now)


def test_a_revoked_key_stops_the_schedule_until_a_new_key_is_saved(connected_shop, sim, clock):
    shop, _products = connected_shop
    stock_sync_tick_run(now=clock.now)
    sim.revoke_key()
    slot = StockSyncState.objects.get(shop=shop).next_run_at
    stock_sync_tick_run(now=slot)
    assert runs(shop) == ["ok", "failed"]
    assert Connection.objects.get(shop=shop).key_rejected_at is not None
    assert StockSyncState.objects.get(shop=shop).error_code == "unauthorized"
    assert len(sent_emails()) == 1 and "Clé Escarcelle refusée" in sent_emails()[0].body

    for hours in range(1, 6):
        assert stock_sync_tick_run(now=slot + datetime.timedelta(hours=hours)) == []
    assert runs(shop) == ["ok", "failed"]

    connection_save(shop=shop, user=None, api_key=sim.rotate_key())
    later = slot + datetime.timedelta(hours=6)
    assert stock_sync_tick_run(now=later) == [shop.pk]
    assert runs(shop) == ["ok", "failed", "ok"]
    assert len(sent_emails()) == 2


def test_the_tick_runs_every_minute_and_pruning_once_a_day():
    from escarcelle.stock.tasks import stock_sync_history_prune, stock_sync_tick

    minutes = [datetime.datetime(2026, 11, 27, 10, m) for m in range(60)]
    assert all(stock_sync_tick.task_class().validate_datetime(m) for m in minutes)
    day = [datetime.datetime(2026, 11, 27, h, m) for h in range(24) for m in range(60)]
    assert sum(stock_sync_history_prune.task_class().validate_datetime(m) for m in day) == 1


def test_a_new_key_saved_on_the_synchro_escarcelle_page_restarts_the_schedule(
    connected_shop, sim, clock, manager_client
):
    shop, products = connected_shop
    stock_sync_tick_run(now=clock.now)
    sim.revoke_key()
    slot = StockSyncState.objects.get(shop=shop).next_run_at
    stock_sync_tick_run(now=slot)
    assert stock_sync_tick_run(now=slot + datetime.timedelta(hours=3)) == []
    stocks = reverse("escarcelle:stocks", kwargs={"shop_slug": shop.slug})
    assert "suspendues" in manager_client.get(stocks).content.decode()

    sim.sell_in_shop(products[0].escarcelle_id, "1")
    page = reverse("escarcelle:settings", kwargs={"shop_slug": shop.slug})
    response = manager_client.post(page, {"api_key": sim.rotate_key()})
    assert response.status_code == 302
    assert Connection.objects.get(shop=shop).key_rejected_at is None

    later = slot + datetime.timedelta(hours=3, minutes=1)
    assert stock_sync_tick_run(now=later) == [shop.pk]
    assert runs(shop) == ["ok", "failed", "ok"]
    level = StockLevel.objects.get(product=products[0])
    assert level.quantity == sim.stock()[products[0].escarcelle_id]
    assert [m.subject for m in sent_emails()][-1].endswith("fonctionne à nouveau")
    assert StockSyncState.objects.get(shop=shop).next_run_at > later
    assert stock_sync_tick_run(now=later + MINUTE) == []
    assert "suspendues" not in manager_client.get(stocks).content.decode()


def test_the_next_successful_sync_is_never_more_than_an_hour_away():
    """On a controlled clock: minute ticks for two days, syncs succeeding whenever due, plus
    "sync now" at random moments; the next run is never more than an hour after a success,
    never less than MIN_GAP, and at most two runs in a row are off the shop's slot."""
    rng = random.Random(3)
    start = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    for shop_id in (1, 7, 42, 1001):
        next_run = start
        off_slot = 0
        for minute in range(2 * 24 * 60):
            now = start + minute * MINUTE
            if now >= next_run or rng.random() < 0.005:  # due, or a manager's "sync now"
                next_run = schedule.next_run_after_success(shop_id, now)
                assert schedule.MIN_GAP <= next_run - now <= datetime.timedelta(hours=1)
                on_slot = next_run == schedule.next_slot(shop_id, next_run - MINUTE)
                off_slot = 0 if on_slot else off_slot + 1
                assert off_slot <= 2
