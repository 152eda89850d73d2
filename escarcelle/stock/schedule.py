"""When each shop's stock is read: an hourly slot per shop, back-off after a failure.

Shops are spread over the hour by a fixed offset derived from their id, so that a fleet does
not hit Escarcelle (nor our workers) all at minute 0.
"""

from __future__ import annotations

import datetime

HOUR = datetime.timedelta(hours=1)
# After a sync, the next hourly one is at least this far away (a "sync now" just before the
# slot does not cause a second read a minute later).
MIN_GAP = datetime.timedelta(minutes=30)
BACKOFF_FIRST = datetime.timedelta(minutes=2)
GOLDEN = 0.6180339887498949


def slot_offset(shop_id: int) -> datetime.timedelta:
    """The shop's place in the hour (0..3599 s), the same every hour.

    The fractional parts of ``id × golden ratio`` spread any run of consecutive ids evenly.
    """
    return datetime.timedelta(seconds=int((shop_id * GOLDEN) % 1 * 3600))


def next_slot(shop_id: int, after: datetime.datetime) -> datetime.datetime:
    """The first of the shop's hourly slots strictly after ``after``."""
    hour_start = after.replace(minute=0, second=0, microsecond=0)
    slot = hour_start + slot_offset(shop_id)
    while slot <= after:
        slot += HOUR
    return slot


def next_run_after_success(shop_id: int, now: datetime.datetime) -> datetime.datetime:
    """The shop's first slot at least ``MIN_GAP`` away, but never more than an hour away: a
    sync that ended less than ``MIN_GAP`` before the slot (a "sync now", a retry) is followed
    by one ``MIN_GAP`` later, and the one after that is back on the slot. So the reconciliation
    never leaves more than an hour between two successful syncs."""
    slot = next_slot(shop_id, now + MIN_GAP)
    return slot if slot - now <= HOUR else now + MIN_GAP


def next_run_after_failure(
    shop_id: int,
    now: datetime.datetime,
    *,
    failures: int,
    retry_after: float | None = None,
) -> datetime.datetime:
    """2, 4, 8… minutes after the ``failures``-th failure in a row, never past the next slot.

    A ``Retry-After`` from Escarcelle (rate limit, maintenance) is honoured when longer.
    """
    delay = BACKOFF_FIRST * 2 ** max(0, min(failures - 1, 10))
    if retry_after:
        delay = max(delay, datetime.timedelta(seconds=retry_after))
    return min(now + delay, next_slot(shop_id, now))
