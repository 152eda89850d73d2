"""*Bénéficiaires*: list, create (with invitation), edit, deactivate."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from epiclic.errors import Refusal
from shops.models import BeneficiaryProfile, Membership, Role
from shops.services import beneficiary_create, beneficiary_invite
from tests.emails import sent_emails
from tests.factories import PASSWORD, make_beneficiary, make_membership, make_shop, make_user


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"shops:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


FORM = {
    "email": "Nadia.Roux@Example.org",
    "first_name": "Nadia",
    "last_name": "Roux",
    "card_number": "C-42",
    "household_size": "4",
    "participation_rate": "30",
    "monthly_budget": "120,50",
    "access_valid_until": "2030-06-30",
    "active": "on",
}


def test_every_beneficiary_page_is_guarded(check_tenancy, shop):
    profile = make_beneficiary(shop=shop)
    check_tenancy(url("beneficiaries", shop))
    check_tenancy(url("beneficiary_create", shop))
    check_tenancy(url("beneficiary_edit", shop, pk=profile.pk))
    check_tenancy(url("beneficiary_deactivate", shop, pk=profile.pk), method="post")


def test_another_shops_beneficiary_answers_404(manager_client, shop, other_shop):
    theirs = make_beneficiary(shop=other_shop)
    assert manager_client.get(url("beneficiary_edit", shop, pk=theirs.pk)).status_code == 404
    response = manager_client.post(url("beneficiary_deactivate", shop, pk=theirs.pk))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.active


def test_the_list_shows_rate_budget_validity_and_an_expired_flag(manager_client, shop):
    user = make_user(first_name="Léa", last_name="<Petit>")
    make_beneficiary(
        shop=shop,
        user=user,
        participation_rate="30",
        monthly_budget="80",
        access_valid_until=timezone.localdate() - datetime.timedelta(days=1),
        card_number="CARTE-7",
    )
    html = manager_client.get(url("beneficiaries", shop)).content.decode()
    assert "Léa &lt;Petit&gt;" in html and "CARTE-7" in html and "30&nbsp;%" in html
    assert "expiré" in html and "Importer depuis Escarcelle" in html
    assert reverse("escarcelle:import_beneficiaries", kwargs={"shop_slug": shop.slug}) in html


def test_the_list_runs_a_fixed_number_of_queries(manager_client, shop, django_assert_num_queries):
    for _ in range(20):
        make_beneficiary(shop=shop)
    # 5: the header's "other shops" comes with the membership (was 6).
    with django_assert_num_queries(5):
        assert manager_client.get(url("beneficiaries", shop)).status_code == 200


def test_creating_a_beneficiary_creates_the_user_membership_profile_and_invites_them(
    manager_client, shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url("beneficiary_create", shop), FORM)
    assert response.status_code == 302
    user = get_user_model().objects.get(username="nadia.roux@example.org")
    assert not user.has_usable_password()
    profile = BeneficiaryProfile.objects.get(membership__user=user)
    assert profile.membership.role == Role.BENEFICIARY and profile.shop == shop
    assert profile.monthly_budget == Decimal("120.50")
    assert profile.participation_rate == Decimal("30")
    assert len(sent_emails()) == 1 and sent_emails()[0].to == ["nadia.roux@example.org"]
    assert "/compte/mot-de-passe/nouveau/" in sent_emails()[0].body


def test_the_invitation_link_lets_them_choose_a_password(shop):
    profile = make_beneficiary(shop=shop, user=make_user(password=None))
    beneficiary_invite(membership=profile.membership)
    link = next(w for w in sent_emails()[0].body.split() if "/mot-de-passe/nouveau/" in w)
    client = Client()
    response = client.get(link.split("127.0.0.1:8000", 1)[-1], follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "Un-nouveau-mot-2-passe", "new_password2": "Un-nouveau-mot-2-passe"},
    )
    profile.membership.user.refresh_from_db()
    assert profile.membership.user.check_password("Un-nouveau-mot-2-passe")


def test_an_existing_account_from_another_shop_gets_a_pending_membership_and_an_invitation(
    manager_client, shop, django_capture_on_commit_callbacks
):
    elsewhere = make_beneficiary(shop=make_shop(), user=make_user(email="nadia.roux@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(url("beneficiary_create", shop), FORM)
    joined = Membership.objects.get(user=elsewhere.membership.user, shop=shop)
    assert joined.pending
    [email] = sent_emails()
    assert "vous invite à rejoindre" in email.subject and "/compte/invitation/" in email.body
    assert elsewhere.membership.user.check_password(PASSWORD)


def test_an_existing_member_of_this_shop_gets_a_clear_message(manager_client, shop):
    make_membership(shop=shop, user=make_user(email="nadia.roux@example.org"))
    response = manager_client.post(url("beneficiary_create", shop), FORM)
    assert response.status_code == 200
    assert "est déjà membre de cette épicerie" in response.content.decode()
    with pytest.raises(Refusal):
        beneficiary_create(shop=shop, email="NADIA.ROUX@example.org")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("participation_rate", "120", "compris entre 0 et 100"),
        ("participation_rate", "trente", "Indiquez un taux en chiffres"),
        ("monthly_budget", "-5", "ne peut pas être négatif"),
        ("email", "pas-une-adresse", "n&#x27;est pas valide"),
        ("household_size", "0", "au moins une personne"),
    ],
)
def test_bad_input_gets_a_french_sentence(manager_client, shop, field, value, message):
    response = manager_client.post(url("beneficiary_create", shop), {**FORM, field: value})
    assert response.status_code == 200 and message in response.content.decode()
    assert not BeneficiaryProfile.objects.exists()


def test_a_manager_edits_the_profile_and_the_name(manager_client, shop):
    profile = make_beneficiary(shop=shop, participation_rate="30")
    data = {**FORM, "participation_rate": "12,5", "monthly_budget": "", "first_name": "Zoé"}
    response = manager_client.post(url("beneficiary_edit", shop, pk=profile.pk), data)
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.participation_rate == Decimal("12.5") and profile.monthly_budget is None
    assert profile.membership.user.first_name == "Zoé"
    assert profile.membership.user.email != "nadia.roux@example.org"  # e-mail is not edited


def test_the_edit_form_shows_rate_and_budget_in_inputs_that_hold_a_comma(manager_client, shop):
    # A browser shows <input type="number" value="30,00"> as empty: saving would wipe them.
    profile = make_beneficiary(shop=shop, participation_rate="30", monthly_budget="120.5")
    html = manager_client.get(url("beneficiary_edit", shop, pk=profile.pk)).content.decode()
    for name, value in (("participation_rate", "30,00"), ("monthly_budget", "120,50")):
        tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)
        assert 'type="text"' in tag and f'value="{value}"' in tag


def test_the_form_says_what_an_empty_budget_or_validity_means(manager_client, shop):
    html = manager_client.get(url("beneficiary_create", shop)).content.decode()
    assert "Laissez vide : pas de plafond." in html
    assert "Laissez vide : accès sans limite de date." in html


def test_deactivating_stops_the_beneficiary(manager_client, shop):
    profile = make_beneficiary(shop=shop)
    response = manager_client.post(url("beneficiary_deactivate", shop, pk=profile.pk))
    assert response.status_code == 302
    profile.refresh_from_db()
    assert not profile.active
    assert manager_client.get(url("beneficiary_deactivate", shop, pk=profile.pk)).status_code == 405
