"""Importing beneficiaries: create with an invitation, match by e-mail, deactivate ended access."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from escarcelle.imports.beneficiaries import beneficiary_plan_rows
from escarcelle.imports.plans import import_plan_apply, import_plan_build, import_plan_create
from escarcelle.schemas import Beneficiary
from imports.models import PlanStatus
from imports.selectors import plan_rows
from shops.models import BeneficiaryProfile, Membership, Role
from tests.factories import make_beneficiary, make_membership, make_shop, make_user


def build(shop, user):
    plan = import_plan_create(shop=shop, kind="beneficiaries", user=user)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY, plan.error
    return plan


def usable(people: list[dict]) -> list[dict]:
    today = datetime.date.today().isoformat()
    return [
        p
        for p in people
        if p["active"] and (p["access_valid_until"] is None or p["access_valid_until"] >= today)
    ]


def test_new_beneficiaries_are_created_with_an_invitation(
    connected, shop, manager, settings, django_capture_on_commit_callbacks
):
    connected.seed(products=0, beneficiaries=8)
    people = usable(connected.beneficiaries())
    plan = build(shop, manager)
    assert plan.counts["new"] == len(people)
    with_email = [p for p in people if p["email"]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert run.counts["new"] == len(people)
    for person in people:
        profile = BeneficiaryProfile.objects.select_related("membership__user").get(
            shop=shop, escarcelle_id=person["id"]
        )
        assert profile.membership.role == Role.BENEFICIARY
        assert profile.participation_rate == Decimal(person["participation_rate"])
        assert profile.card_number == (person["card_number"] or "")
        assert profile.household_size == person["household_size"]
        if person["email"]:
            assert profile.membership.user.username == person["email"].lower()
            assert not profile.membership.user.has_usable_password()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p["email"].lower() for p in with_email)
    assert all(settings.SITE_URL in m.body for m in mail.outbox)


def test_a_member_is_matched_by_email_case_insensitively(connected, shop, manager):
    connected.seed(products=0, beneficiaries=4)
    person = [p for p in usable(connected.beneficiaries()) if p["email"]][0]
    user = make_user(email=person["email"].upper())
    existing = make_beneficiary(shop=shop, user=user, participation_rate="100")
    plan = build(shop, manager)
    link = [row for row in plan_rows(plan) if row.status == "link"]
    assert [row.key for row in link] == [person["id"]]
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    existing.refresh_from_db()
    assert existing.escarcelle_id == person["id"]
    assert existing.participation_rate == Decimal(person["participation_rate"])
    assert get_user_model().objects.filter(email__iexact=person["email"]).count() == 1


def test_a_manager_address_is_never_turned_into_a_beneficiary(connected, shop, manager):
    connected.seed(products=0, beneficiaries=3)
    person = [p for p in usable(connected.beneficiaries()) if p["email"]][0]
    make_membership(shop=shop, user=make_user(email=person["email"]), role=Role.MANAGER)
    plan = build(shop, manager)
    row = next(row for row in plan_rows(plan) if row.key == person["id"])
    assert row.status == "error"
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert not BeneficiaryProfile.objects.filter(escarcelle_id=person["id"]).exists()


def test_ended_access_is_shown_and_deactivated_on_confirmation(connected, shop, manager):
    connected.seed(products=0, beneficiaries=5)
    import_plan_apply(shop=shop, plan_id=build(shop, manager).pk, user=manager)
    bound = list(BeneficiaryProfile.objects.filter(shop=shop, active=True))
    ended, inactive = bound[0], bound[1]
    connected.update_beneficiary(ended.escarcelle_id, access_valid_until="2020-01-01")
    connected.update_beneficiary(inactive.escarcelle_id, active=False)
    plan = build(shop, manager)
    deactivate = {row.key for row in plan_rows(plan) if row.status == "deactivate"}
    assert deactivate == {ended.escarcelle_id, inactive.escarcelle_id}
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    ended.refresh_from_db()
    inactive.refresh_from_db()
    assert not ended.active and not inactive.active
    assert Membership.objects.filter(pk=ended.membership_id).exists(), "never deleted"


def test_a_second_beneficiary_import_changes_nothing(connected, shop, manager):
    connected.seed(products=0, beneficiaries=6)
    import_plan_apply(shop=shop, plan_id=build(shop, manager).pk, user=manager)
    before = list(BeneficiaryProfile.objects.order_by("id").values())
    plan = build(shop, manager)
    assert {row.status for row in plan_rows(plan)} <= {"unchanged"}
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert list(BeneficiaryProfile.objects.order_by("id").values()) == before


def test_the_preview_details_each_persons_rate_budget_and_access_end_the_french_way(
    connected, shop, manager, manager_client
):
    connected.seed(products=0, beneficiaries=2)
    first, second = connected.beneficiaries()[:2]
    connected.update_beneficiary(
        first["id"], active=True, participation_rate="12.5", monthly_budget="1250.5",
        access_valid_until="2031-12-31",
    )  # fmt: skip
    connected.update_beneficiary(
        second["id"], active=True, monthly_budget=None, access_valid_until=None
    )
    plan = build(shop, manager)
    url = reverse(
        "escarcelle:import_beneficiaries_plan", kwargs={"shop_slug": shop.slug, "plan_id": plan.pk}
    )
    html = manager_client.get(url).content.decode()
    row = html[html.index(first["id"]) :].split("</tr>")[0]
    assert "participation 12,5&nbsp;%" in row
    assert "budget 1250,50\u00a0€ par mois" in row
    assert "accès jusqu'au 31/12/2031" in row
    other = html[html.index(second["id"]) :].split("</tr>")[0]
    assert "sans budget mensuel" in other and "accès sans date de fin" in other


@pytest.mark.parametrize(("zone", "skipped"), [("Indian/Reunion", 1), ("Europe/Paris", 0)])
def test_an_access_ending_today_is_reckoned_in_the_groceries_zone(db, monkeypatch, zone, skipped):
    shop = make_shop(timezone=zone)
    # 21:30 UTC on 10 March: still the 10th in Paris, already the 11th in Réunion.
    monkeypatch.setattr(
        timezone, "now", lambda: datetime.datetime(2031, 3, 10, 21, 30, tzinfo=datetime.UTC)
    )
    item = Beneficiary(
        id="ben_1", first_name="Léa", email="lea@example.org", access_valid_until="2031-03-10"
    )
    rows, counts = beneficiary_plan_rows(shop=shop, items=[item])
    assert counts["skipped"] == skipped
    assert len(rows) == 1 - skipped
