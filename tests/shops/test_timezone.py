"""A shop's pages show and read dates in the shop's own time zone."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from distributions.models import Distribution
from shops.models import Role
from tests.factories import make_catalogue, make_distribution, make_membership, make_shop

# 17:00 UTC on a winter day: 18:00 in Paris, 14:00 in Cayenne, 21:00 in Réunion.
MOMENT = datetime.datetime(2031, 3, 10, 17, 0, tzinfo=datetime.UTC)


def manager_client_of(shop) -> Client:
    client = Client()
    client.force_login(make_membership(shop=shop, role=Role.MANAGER).user)
    return client


@pytest.mark.parametrize(
    ("zone", "shown"),
    [("Europe/Paris", "18:00"), ("America/Cayenne", "14:00"), ("Indian/Reunion", "21:00")],
)
def test_the_distribution_list_shows_the_time_in_the_shops_zone(db, zone, shown):
    shop = make_shop(timezone=zone)
    make_distribution(shop=shop, state="upcoming", starts_at=MOMENT)
    url = reverse("distributions:list", kwargs={"shop_slug": shop.slug})
    html = manager_client_of(shop).get(url).content.decode()
    assert f"10 mars 2031, {shown}" in html


def test_a_time_typed_in_a_form_is_read_in_the_shops_zone(db):
    shop = make_shop(timezone="America/Cayenne")
    catalogue = make_catalogue(shop=shop)
    response = manager_client_of(shop).post(
        reverse("distributions:create", kwargs={"shop_slug": shop.slug}),
        {
            "starts_at": "2031-03-10T14:00",
            "place": "Local",
            "orders_open_at": "2031-03-01T09:00",
            "orders_close_at": "2031-03-08T18:00",
            "catalogues": [catalogue.pk],
        },
    )
    assert response.status_code == 302
    assert Distribution.objects.get().starts_at == MOMENT


def test_the_zone_applies_only_while_the_shops_page_runs(db):
    shop = make_shop(timezone="America/Cayenne")
    manager_client_of(shop).get(reverse("distributions:list", kwargs={"shop_slug": shop.slug}))
    assert timezone.get_current_timezone_name() == "Europe/Paris"


def test_an_unknown_time_zone_is_refused(db):
    shop = make_shop()
    shop.timezone = "Europe/Pariss"
    with pytest.raises(ValidationError) as refused:
        shop.full_clean()
    assert "timezone" in refused.value.message_dict
    shop.timezone = "Indian/Reunion"
    shop.full_clean()
