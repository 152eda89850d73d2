"""The worker's notifications reckon and show dates in each grocery's own time zone, not the
server's (Europe/Paris)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from distributions.models import Order
from notifications.services import access_ending_due, orders_open_notify, pickup_remind
from tests.emails import sent_emails
from tests.factories import (
    make_beneficiary,
    make_distribution,
    make_order,
    make_shop,
    make_slot,
    make_user,
)

# 21:30 UTC on 10 March: 22:30 in Paris (still the 10th), 01:30 on the 11th in Réunion.
MOMENT = datetime.datetime(2031, 3, 10, 21, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("zone", "written"), [("Indian/Reunion", 0), ("Europe/Paris", 2)])
def test_access_ending_reckons_today_in_the_groceries_zone(db, monkeypatch, zone, written):
    shop = make_shop(timezone=zone, access_ending_days=7)
    # Access until the 10th: in Réunion that day is already over, nothing is "ending" any more.
    make_beneficiary(shop=shop, access_valid_until=datetime.date(2031, 3, 10))
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    assert access_ending_due() == written


def test_the_orders_open_email_shows_the_closing_time_in_the_groceries_zone(db):
    shop = make_shop(timezone="America/Cayenne")
    make_beneficiary(shop=shop, user=make_user(email="lea@example.org"))
    closes = (timezone.now() + datetime.timedelta(days=2)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )
    distribution = make_distribution(shop=shop, orders_close_at=closes)
    assert orders_open_notify(distribution=distribution) == 1
    (email,) = sent_emails()
    cayenne = timezone.localtime(closes, zoneinfo.ZoneInfo("America/Cayenne"))
    paris = timezone.localtime(closes, zoneinfo.ZoneInfo("Europe/Paris"))
    assert f"{cayenne:%H:%M}" in email.body and f"{paris:%H:%M}" not in email.body


def test_the_pickup_reminder_from_the_worker_shows_the_slot_in_the_shops_zone(db):
    shop = make_shop(timezone="America/Cayenne")
    starts = (timezone.now() + datetime.timedelta(hours=20)).replace(second=0, microsecond=0)
    distribution = make_distribution(shop=shop, state="closed", starts_at=starts)
    slot = make_slot(distribution=distribution)
    member = make_beneficiary(shop=shop, user=make_user(email="lea@example.org")).membership
    order = make_order(membership=member, distribution=distribution, lines={})
    Order.objects.filter(pk=order.pk).update(slot=slot)
    assert pickup_remind(distribution=distribution) == 1
    (email,) = sent_emails()
    cayenne = zoneinfo.ZoneInfo("America/Cayenne")
    hours = f"{timezone.localtime(starts, cayenne):%H:%M}"
    assert f"Créneau : {hours}–" in email.body
