"""Thin huey tasks: the minute tick that hands due shops to the workers, the sync, pruning."""

from __future__ import annotations

import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from epiclic.logs import shop_context
from escarcelle.stock import services
from shops.models import Shop


@db_task()
def stock_sync_task(
    shop_id: int, *, force_full: bool = False, now: datetime.datetime | None = None
) -> None:
    shop = Shop.objects.filter(pk=shop_id).first()
    if shop is not None:
        with shop_context(shop.slug):  # its log lines carry the shop's slug
            services.stock_sync_shop(shop=shop, force_full=force_full, now=now)


def stock_sync_tick_run(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue the sync of every due shop. ``now`` is passed on only when given (tests)."""
    ids = services.stock_sync_due(now=now or timezone.now())
    for shop_id in ids:
        stock_sync_task(shop_id, now=now)
    return ids


@db_periodic_task(crontab(minute="*"))
def stock_sync_tick() -> None:
    stock_sync_tick_run()


@db_periodic_task(crontab(minute="17", hour="3"))
def stock_sync_history_prune() -> None:
    services.stock_sync_history_prune()
