"""People belong to themselves, tried as a manager of grocery B would: take over, rename or
probe an account that grocery A (or nobody) shares with them."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from shops.models import Membership, Role
from tests.emails import sent_emails
from tests.factories import PASSWORD, make_beneficiary, make_membership, make_user


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"shops:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def form(email: str, first_name: str = "Intrus", last_name: str = "Pirate") -> dict[str, str]:
    return {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "household_size": "1",
        "participation_rate": "30",
        "active": "on",
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_grocery_b_adding_an_address_of_grocery_a_neither_sees_nor_renames_the_person(
    shop, other_shop, outsider, django_capture_on_commit_callbacks
):
    nadia = make_beneficiary(
        shop=shop, user=make_user(email="nadia@example.org", first_name="Nadia", last_name="Roux")
    ).membership.user
    grocery_b = signed_in(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        answer = grocery_b.post(url("beneficiary_create", other_shop), form("nadia@example.org"))
    assert answer.status_code == 302
    listing = grocery_b.get(url("beneficiaries", other_shop)).content.decode()
    assert "Roux" not in listing and "Intrus Pirate" in listing
    searched = grocery_b.get(url("beneficiaries", other_shop) + "?q=Roux").content.decode()
    assert "nadia@example.org" not in searched
    profile = Membership.objects.get(user=nadia, shop=other_shop).beneficiary
    edit = grocery_b.get(url("beneficiary_edit", other_shop, pk=profile.pk)).content.decode()
    assert "Roux" not in edit
    grocery_b.post(
        url("beneficiary_edit", other_shop, pk=profile.pk),
        {**form("x"), "first_name": "Renommée", "last_name": "Partout"},
    )
    nadia.refresh_from_db()
    assert (nadia.first_name, nadia.last_name) == ("Nadia", "Roux")


def test_the_answer_is_the_same_whether_the_address_has_an_account_or_not(
    other_shop, outsider, shop
):
    make_membership(shop=shop, user=make_user(email="connu@example.org"))
    grocery_b = signed_in(outsider)
    known = grocery_b.post(url("beneficiary_create", other_shop), form("connu@example.org"))
    unknown = grocery_b.post(url("beneficiary_create", other_shop), form("inconnu@example.org"))
    assert known.status_code == unknown.status_code == 302
    listing = grocery_b.get(url("beneficiaries", other_shop)).content.decode()
    rows = re.findall(r"<tr>.*?</tr>", listing, re.S)
    cleaned = {re.sub(r"\d+|connu|inconnu", "", row) for row in rows[1:]}
    assert len(cleaned) == 1


def test_an_attached_account_has_no_access_until_it_accepts_the_invitation(
    shop, other_shop, outsider, django_capture_on_commit_callbacks
):
    nadia = make_beneficiary(shop=shop, user=make_user(email="nadia@example.org"))
    nadia_user = nadia.membership.user
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(outsider).post(url("beneficiary_create", other_shop), form("nadia@example.org"))
    as_nadia = signed_in(nadia_user)
    assert as_nadia.get(reverse("shops:home", args=[other_shop.slug])).status_code == 404
    [invitation] = sent_emails()
    link = re.search(r"/compte/invitation/[^/\s]+/", invitation.body).group(0)
    assert as_nadia.post(link).status_code == 302
    assert as_nadia.get(reverse("shops:home", args=[other_shop.slug])).status_code == 302


def test_a_grocery_still_renames_a_person_who_belongs_to_it_alone(manager_client, shop):
    profile = make_beneficiary(shop=shop, user=make_user(first_name="Léa", last_name="Petit"))
    manager_client.post(
        url("beneficiary_edit", shop, pk=profile.pk),
        {**form("x"), "first_name": "Léa", "last_name": "Grand"},
    )
    profile.membership.user.refresh_from_db()
    assert profile.membership.user.last_name == "Grand"


def test_a_superuser_keeps_manager_rights_where_they_are_also_a_beneficiary(shop):
    admin = make_user(is_staff=True, is_superuser=True)
    make_beneficiary(shop=shop, user=admin)
    client = signed_in(admin)
    assert client.get(url("beneficiaries", shop)).status_code == 200


def test_a_staff_account_is_never_renamed_by_a_grocery(shop, manager_client):
    staff = make_user(is_staff=True, first_name="Opé", last_name="Rateur")
    profile = make_beneficiary(shop=shop, user=staff)
    manager_client.post(
        url("beneficiary_edit", shop, pk=profile.pk),
        {**form("x"), "first_name": "Piraté", "last_name": "Piraté"},
    )
    staff.refresh_from_db()
    assert (staff.first_name, staff.last_name) == ("Opé", "Rateur")
    assert staff.check_password(PASSWORD)


def test_a_manager_of_grocery_a_added_by_grocery_b_gets_no_access_to_b(
    shop, other_shop, outsider, manager
):
    signed_in(outsider).post(url("beneficiary_create", other_shop), form(manager.email))
    assert Membership.objects.get(user=manager, shop=other_shop).role == Role.BENEFICIARY
    assert signed_in(manager).get(url("beneficiaries", other_shop)).status_code == 404


def test_someone_else_signed_in_cannot_accept_an_invitation_to_join(
    shop, other_shop, outsider, django_capture_on_commit_callbacks
):
    make_beneficiary(shop=shop, user=make_user(email="nadia@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(outsider).post(url("beneficiary_create", other_shop), form("nadia@example.org"))
    [invitation] = sent_emails()
    link = re.search(r"/compte/invitation/[^/\s]+/", invitation.body).group(0)
    intruder = make_beneficiary(shop=other_shop).membership.user
    answer = signed_in(intruder).post(link)
    assert "adressée à nadia@example.org" in answer.content.decode()
    assert Membership.objects.get(user__email="nadia@example.org", shop=other_shop).pending
