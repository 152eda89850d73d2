"""When "orders close soon" goes: ``reminder_hours`` before closing, but never in the first half
of the ordering window, so that a short window does not get it together with "orders open"."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from notifications.models import Notification
from notifications.services import closing_reminder_at, notifications_due
from shops.models import NotificationKind, Shop
from tests.factories import make_distribution
from tests.notifications.helpers import beneficiaries

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)
OPENS = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)

opens = st.datetimes(
    min_value=datetime.datetime(2020, 1, 1), max_value=datetime.datetime(2040, 1, 1)
).map(lambda d: d.replace(tzinfo=datetime.UTC))
windows = st.timedeltas(min_value=datetime.timedelta(seconds=1), max_value=60 * DAY)
hours = st.integers(min_value=1, max_value=14 * 24)


@given(opens=opens, window=windows, hours=hours)
def test_the_reminder_is_never_in_the_first_half_of_the_window_nor_after_closing(
    opens: datetime.datetime, window: datetime.timedelta, hours: int
) -> None:
    closes = opens + window
    at = closing_reminder_at(opens=opens, closes=closes, hours=hours)
    assert opens + window / 2 <= at <= closes
    assert at > opens
    # Never earlier than the delay before closing: the sweep looks only at distributions
    # closing within REMINDER_HOURS_MAX, and finds this one when its reminder is due.
    assert at >= closes - datetime.timedelta(hours=hours)


@given(opens=opens, window=windows, hours=hours)
def test_a_window_twice_the_delay_or_longer_gets_the_reminder_the_delay_before_closing(
    opens: datetime.datetime, window: datetime.timedelta, hours: int
) -> None:
    delay = datetime.timedelta(hours=hours)
    window = max(window, 2 * delay)
    closes = opens + window
    assert closing_reminder_at(opens=opens, closes=closes, hours=hours) == closes - delay


def _reminders() -> int:
    return Notification.objects.filter(kind=NotificationKind.ORDERS_CLOSING).count()


def _announced() -> int:
    return Notification.objects.filter(kind=NotificationKind.ORDERS_OPEN).count()


def test_a_ten_hour_window_gets_the_reminder_half_way_not_with_the_opening(shop: Shop) -> None:
    assert shop.reminder_hours == 24
    make_distribution(
        shop=shop,
        orders_open_at=OPENS,
        orders_close_at=OPENS + 10 * HOUR,
        starts_at=OPENS + 3 * DAY,
    )
    beneficiaries(shop, 2)
    assert notifications_due(now=OPENS) == 2
    assert (_announced(), _reminders()) == (2, 0)
    assert notifications_due(now=OPENS + 5 * HOUR - MINUTE) == 0
    assert notifications_due(now=OPENS + 5 * HOUR) == 2
    assert _reminders() == 2
    assert notifications_due(now=OPENS + 6 * HOUR) == 0
    assert _reminders() == 2


def test_a_three_day_window_gets_the_reminder_the_delay_before_closing(shop: Shop) -> None:
    closes = OPENS + 3 * DAY
    make_distribution(
        shop=shop, orders_open_at=OPENS, orders_close_at=closes, starts_at=closes + DAY
    )
    beneficiaries(shop, 1)
    notifications_due(now=OPENS)
    assert notifications_due(now=closes - 24 * HOUR - MINUTE) == 0
    assert notifications_due(now=closes - 24 * HOUR) == 1
    assert notifications_due(now=closes - HOUR) == 0
    assert _reminders() == 1
