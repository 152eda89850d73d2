"""Opening, closing and reopening a distribution's orders by hand, and the record of it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from distributions.models import DistributionAction, DistributionEvent, DistributionState
from distributions.services import (
    distribution_close_now,
    distribution_open_now,
    distribution_reopen,
    order_confirm,
)
from epiclic.errors import Refusal
from tests.factories import make_beneficiary, make_catalogue, make_distribution, make_product

HOUR = datetime.timedelta(hours=1)


def url(shop, distribution, action: str) -> str:
    return reverse(
        "distributions:lifecycle",
        kwargs={"shop_slug": shop.slug, "pk": distribution.pk, "action": action},
    )


def detail(shop, distribution) -> str:
    return reverse("distributions:detail", kwargs={"shop_slug": shop.slug, "pk": distribution.pk})


@pytest.fixture
def product(shop):
    return make_product(shop=shop, name="Riz", stock="5")


@pytest.fixture
def member(shop):
    return make_beneficiary(shop=shop).membership


def offering(shop, product, *, state: str, **fields):
    catalogue = make_catalogue(shop=shop, products=[product])
    return make_distribution(shop=shop, state=state, catalogues=[catalogue], **fields)


def test_every_lifecycle_action_is_guarded(check_tenancy, shop):
    for action, state in (("ouvrir", "upcoming"), ("fermer", "open"), ("rouvrir", "closed")):
        distribution = make_distribution(shop=shop, state=state)
        check_tenancy(url(shop, distribution, action))
        check_tenancy(url(shop, distribution, action), method="post")


def test_a_beneficiary_cannot_close_orders(beneficiary_client, shop):
    distribution = make_distribution(shop=shop, state="open")
    assert beneficiary_client.post(url(shop, distribution, "fermer")).status_code == 403
    distribution.refresh_from_db()
    assert distribution.state == DistributionState.OPEN
    assert not DistributionEvent.objects.exists()


def test_another_grocerys_manager_gets_404_and_changes_nothing(outsider_client, shop):
    distribution = make_distribution(shop=shop, state="open")
    assert outsider_client.post(url(shop, distribution, "fermer")).status_code == 404
    assert outsider_client.get(url(shop, distribution, "fermer")).status_code == 404
    distribution.refresh_from_db()
    assert distribution.state == DistributionState.OPEN


def test_an_unknown_action_answers_404(manager_client, shop):
    distribution = make_distribution(shop=shop, state="open")
    assert manager_client.post(url(shop, distribution, "supprimer")).status_code == 404


def test_the_page_offers_the_action_that_fits_the_state(manager_client, shop):
    for state, offered in (
        ("upcoming", "Ouvrir les commandes maintenant"),
        ("open", "Fermer les commandes maintenant"),
        ("closed", "Rouvrir"),
    ):
        html = manager_client.get(detail(shop, make_distribution(shop=shop, state=state)))
        assert offered in html.content.decode(), state


def test_a_closed_distribution_whose_pickup_began_offers_no_reopening(manager_client, shop):
    now = timezone.now()
    distribution = make_distribution(
        shop=shop,
        state="closed",
        orders_open_at=now - 5 * HOUR,
        orders_close_at=now - 3 * HOUR,
        starts_at=now - HOUR,
    )
    html = manager_client.get(detail(shop, distribution)).content.decode()
    assert "Rouvrir" not in html


def test_the_confirmation_page_asks_before_closing(manager_client, shop):
    distribution = make_distribution(shop=shop, state="open")
    response = manager_client.get(url(shop, distribution, "fermer"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Fermer les commandes maintenant" in html and 'method="post"' in html
    distribution.refresh_from_db()
    assert distribution.state == DistributionState.OPEN


def test_closing_now_makes_ordering_refuse_and_is_recorded(
    manager_client, manager, shop, product, member
):
    distribution = offering(shop, product, state="open")
    response = manager_client.post(url(shop, distribution, "fermer"), follow=True)
    assert "Commandes fermées." in response.content.decode()
    distribution.refresh_from_db()
    assert distribution.state == DistributionState.CLOSED
    with pytest.raises(Refusal) as refused:
        order_confirm(
            membership=member, distribution=distribution, quantities={product.pk: Decimal(1)}
        )
    assert refused.value.code == "orders_not_open"
    event = DistributionEvent.objects.get()
    assert (event.distribution, event.action, event.user) == (
        distribution,
        DistributionAction.CLOSED,
        manager,
    )
    html = manager_client.get(detail(shop, distribution)).content.decode()
    assert "Historique des commandes" in html and "commandes fermées maintenant" in html
    assert manager.email in html


def test_reopening_before_pickup_lets_members_order_until_the_pickup(
    manager_client, shop, product, member
):
    distribution = offering(shop, product, state="closed")
    manager_client.post(url(shop, distribution, "rouvrir"))
    distribution.refresh_from_db()
    assert distribution.state == DistributionState.OPEN
    assert distribution.orders_close_at == distribution.starts_at
    order = order_confirm(
        membership=member, distribution=distribution, quantities={product.pk: Decimal(1)}
    )
    assert order.lines.get().quantity == 1
    assert DistributionEvent.objects.get().action == DistributionAction.REOPENED


def test_reopening_after_the_pickup_began_is_refused(manager_client, manager, shop):
    now = timezone.now()
    distribution = make_distribution(
        shop=shop,
        state="closed",
        orders_open_at=now - 5 * HOUR,
        orders_close_at=now - 3 * HOUR,
        starts_at=now - HOUR,
    )
    with pytest.raises(Refusal) as refused:
        distribution_reopen(distribution=distribution, user=manager)
    assert refused.value.code == "pickup_passed"
    response = manager_client.post(url(shop, distribution, "rouvrir"), follow=True)
    assert "ne peuvent plus être rouvertes" in response.content.decode()
    distribution.refresh_from_db()
    assert distribution.state == DistributionState.CLOSED
    assert not DistributionEvent.objects.exists()


def test_opening_now_opens_an_upcoming_distribution_and_keeps_its_closing(
    manager, shop, product, member
):
    distribution = offering(shop, product, state="upcoming")
    closes = distribution.orders_close_at
    distribution_open_now(distribution=distribution, user=manager)
    distribution.refresh_from_db()
    assert distribution.state == DistributionState.OPEN and distribution.orders_close_at == closes
    order_confirm(membership=member, distribution=distribution, quantities={product.pk: Decimal(1)})
    assert DistributionEvent.objects.get().action == DistributionAction.OPENED


@pytest.mark.parametrize(
    ("service", "state", "code"),
    [
        (distribution_open_now, "open", "not_upcoming"),
        (distribution_open_now, "closed", "not_upcoming"),
        (distribution_close_now, "upcoming", "not_open"),
        (distribution_close_now, "closed", "not_open"),
        (distribution_reopen, "open", "not_closed"),
        (distribution_reopen, "upcoming", "not_closed"),
        (distribution_open_now, "validated", "already_validated"),
        (distribution_close_now, "validated", "already_validated"),
        (distribution_reopen, "validated", "already_validated"),
    ],
)
def test_an_action_that_does_not_fit_the_state_is_refused_in_french(
    manager, shop, service, state, code
):
    distribution = make_distribution(shop=shop, state=state)
    with pytest.raises(Refusal) as refused:
        service(distribution=distribution, user=manager)
    assert refused.value.code == code
    assert refused.value.message.startswith(("Les commandes", "Une distribution"))
    assert not DistributionEvent.objects.exists()
