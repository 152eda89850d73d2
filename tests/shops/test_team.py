"""Paramètres → Équipe (invite, list, remove; the last manager stays) and → Épicerie."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shops.models import Invitation, Membership, Role
from tests.emails import sent_emails
from tests.factories import make_membership

pytestmark = pytest.mark.django_db


def _url(name: str, shop, **kwargs) -> str:
    return reverse(name, kwargs={"shop_slug": shop.slug, **kwargs})


def test_it_guards_the_team_page(check_tenancy, shop):
    check_tenancy(_url("shops:team", shop))


def test_it_guards_the_grocery_form(check_tenancy, shop):
    check_tenancy(_url("shops:shop_edit", shop))


def test_it_guards_removal_and_cancellation(check_tenancy, shop, manager):
    membership = Membership.objects.get(user=manager, shop=shop)
    co_manager = make_membership(shop=shop)
    check_tenancy(_url("shops:manager_remove", shop, pk=co_manager.pk), method="post")
    invitation = Invitation.objects.create(shop=shop, email="x@example.org", token="t")
    check_tenancy(_url("shops:invitation_cancel", shop, pk=invitation.pk), method="post")
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_manager_invites_a_co_manager_once_even_when_asked_twice(manager_client, shop):
    for email in ("co@example.org", "Co@Example.org"):
        response = manager_client.post(_url("shops:team", shop), {"email": email})
        assert response.status_code == 302
    invitation = Invitation.objects.get(shop=shop, accepted_at__isnull=True)
    assert invitation.sent_count == 2
    assert len(sent_emails()) == 2
    page = manager_client.get(_url("shops:team", shop)).content.decode()
    assert "co@example.org" in page


def test_inviting_an_existing_manager_or_a_bad_address_is_refused_in_french(
    manager_client, shop, manager
):
    page = manager_client.post(_url("shops:team", shop), {"email": manager.email})
    assert "gère déjà cette épicerie" in page.content.decode()
    page = manager_client.post(_url("shops:team", shop), {"email": "nope"})
    assert "adresse e-mail n&#x27;est pas valide" in page.content.decode()
    assert not Invitation.objects.exists()


def test_the_last_manager_cannot_be_removed(manager_client, shop, manager):
    membership = Membership.objects.get(user=manager, shop=shop)
    response = manager_client.post(
        _url("shops:manager_remove", shop, pk=membership.pk), follow=True
    )
    assert "dernier gestionnaire" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_co_manager_is_removed(manager_client, shop):
    co_manager = make_membership(shop=shop)
    manager_client.post(_url("shops:manager_remove", shop, pk=co_manager.pk))
    assert not Membership.objects.filter(pk=co_manager.pk).exists()


def test_a_beneficiary_cannot_be_removed_as_a_manager(manager_client, shop, beneficiary):
    membership = Membership.objects.get(user=beneficiary, shop=shop)
    manager_client.post(_url("shops:manager_remove", shop, pk=membership.pk))
    assert Membership.objects.get(pk=membership.pk).role == Role.BENEFICIARY


def test_a_manager_edits_the_grocery(manager_client, shop):
    response = manager_client.post(
        _url("shops:shop_edit", shop),
        {
            "name": "Épicerie Alpha",
            "address": "2 rue Haute",
            "contact_email": "alpha@example.org",
            "timezone": "America/Cayenne",
        },
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.timezone, shop.contact_email) == (
        "Épicerie Alpha",
        "America/Cayenne",
        "alpha@example.org",
    )


def test_an_unknown_time_zone_is_refused_and_nothing_changes(manager_client, shop):
    response = manager_client.post(
        _url("shops:shop_edit", shop),
        {"name": "X", "address": "", "contact_email": "", "timezone": "Europe/Atlantis"},
    )
    assert "n&#x27;est pas un fuseau horaire connu" in response.content.decode()
    shop.refresh_from_db()
    assert shop.name == "Épicerie A"


def test_another_shops_manager_cannot_use_an_invitation_of_this_shop(
    shop, outsider, outsider_client
):
    """Signed in as someone else, a link sent to another address gives no access."""
    invitation = Invitation.objects.create(shop=shop, email="someone@example.org", token="tok")
    url = reverse("invitation_accept", kwargs={"token": invitation.token})
    outsider_client.post(url)
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None
    assert not Membership.objects.filter(user=outsider, shop=shop).exists()


def test_an_unknown_or_expired_link_shows_a_french_page(client, shop):
    assert "Invitation expirée" in client.get("/compte/invitation/nope/").content.decode()
    invitation = Invitation.objects.create(shop=shop, email="late@example.org", token="old")
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=invitation.sent_at - Invitation.LIFETIME * 2
    )
    assert client.get("/compte/invitation/old/").status_code == 404


def test_a_beneficiary_of_the_shop_is_not_invited_as_manager(manager_client, shop, beneficiary):
    page = manager_client.post(_url("shops:team", shop), {"email": beneficiary.email})
    assert "est bénéficiaire de cette épicerie" in page.content.decode()
    assert not Invitation.objects.exists()
    assert Membership.objects.get(user=beneficiary, shop=shop).role == Role.BENEFICIARY
