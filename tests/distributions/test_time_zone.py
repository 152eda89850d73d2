"""Distributions' dates in the shop's own time zone, whatever zone is active (a worker, a
command, another shop's page)."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from distributions.models import PickupSlot
from distributions.rules import budget_left
from tests.factories import (
    make_beneficiary,
    make_distribution,
    make_order,
    make_product,
    make_shop,
    make_slot,
)

# 21:30 UTC on 31 March: 23:30 in Paris (still March), 01:30 on 1 April in Réunion.
END_OF_MARCH = datetime.datetime(2031, 3, 31, 21, 30, tzinfo=datetime.UTC)
MID_APRIL = datetime.datetime(2031, 4, 15, 15, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("zone", "left"), [("Indian/Reunion", "20.00"), ("Europe/Paris", "30.00")])
def test_the_monthly_budget_counts_the_orders_of_the_month_in_the_shops_zone(db, zone, left):
    shop = make_shop(timezone=zone)
    rice = make_product(shop=shop, price="10.00")
    member = make_beneficiary(shop=shop, participation_rate="100", monthly_budget="30").membership
    late_march = make_distribution(shop=shop, state="validated", starts_at=END_OF_MARCH)
    make_order(membership=member, distribution=late_march, lines={rice: 1})
    april = make_distribution(shop=shop, starts_at=MID_APRIL)
    # Outside any request: Europe/Paris is the active zone.
    assert budget_left(membership=member, distribution=april) == Decimal(left)


# 17:00 UTC on a winter day: 18:00 in Paris, 14:00 in Cayenne.
WINTER_FIVE_PM = datetime.datetime(2031, 3, 10, 17, 0, tzinfo=datetime.UTC)


def test_a_slot_shows_its_hours_in_its_shops_zone_whatever_zone_is_active(db):
    shop = make_shop(timezone="America/Cayenne")
    slot = make_slot(distribution=make_distribution(shop=shop, starts_at=WINTER_FIVE_PM))
    with timezone.override(zoneinfo.ZoneInfo("Indian/Reunion")):
        assert str(slot) == "14:00–14:30"


def test_a_slot_loaded_with_its_shop_names_its_hours_without_a_query(db, django_assert_num_queries):
    shop = make_shop(timezone="America/Cayenne")
    make_slot(distribution=make_distribution(shop=shop, starts_at=WINTER_FIVE_PM))
    slot = PickupSlot.objects.select_related("distribution__shop").get()
    with django_assert_num_queries(0):
        assert str(slot) == "14:00–14:30"
