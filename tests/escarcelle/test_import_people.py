"""The beneficiary import never takes over someone's account, tried as grocery A importing
addresses that belong to a manager of grocery B, a superuser, or nobody."""

from __future__ import annotations

from escarcelle.connection import connection_save
from escarcelle.imports.plans import import_plan_apply, import_plan_build, import_plan_create
from imports.models import PlanStatus
from imports.selectors import plan_rows
from shops.models import BeneficiaryProfile, Membership, Role
from tests.emails import sent_emails
from tests.factories import make_membership, make_user


def build(shop, user):
    plan = import_plan_create(shop=shop, kind="beneficiaries", user=user)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY, plan.error
    return plan


def one_person(account, **fields) -> dict:
    account.seed(products=0, beneficiaries=1)
    [person] = account.beneficiaries()
    return account.update_beneficiary(
        person["id"], **{"active": True, "access_valid_until": None, **fields}
    )


def test_an_address_of_another_grocerys_manager_is_invited_not_taken_over(
    connected, shop, manager, other_shop, django_capture_on_commit_callbacks
):
    victim = make_user(email="gerante@epicerie-b.org", first_name="Gérante", last_name="B")
    make_membership(shop=other_shop, user=victim, role=Role.MANAGER)
    stranger = one_person(connected, email="inconnue@example.org")
    plan_known = build(shop, manager)
    [known_row] = plan_rows(plan_known)
    connected.update_beneficiary(stranger["id"], email="GERANTE@epicerie-b.org")
    plan = build(shop, manager)
    [row] = plan_rows(plan)
    # The preview says the same as for an address nobody has.
    assert (row.status, row.warnings, row.errors) == (
        known_row.status,
        known_row.warnings,
        known_row.errors,
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    membership = Membership.objects.get(user=victim, shop=shop)
    assert membership.pending and membership.role == Role.BENEFICIARY
    victim.refresh_from_db()
    assert (victim.first_name, victim.last_name) == ("Gérante", "B")
    assert [m.to for m in sent_emails()] == [["gerante@epicerie-b.org"]]


def test_a_superuser_address_is_never_attached_by_an_import(
    connected, shop, manager, django_capture_on_commit_callbacks
):
    admin = make_user(email="admin@epiclic.org", is_staff=True, is_superuser=True)
    one_person(connected, email="admin@epiclic.org")
    plan = build(shop, manager)
    with django_capture_on_commit_callbacks(execute=True):
        import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert not Membership.objects.filter(user=admin).exists()
    assert BeneficiaryProfile.objects.filter(shop=shop).count() == 1


def test_the_same_person_without_e_mail_imports_into_two_groceries(
    connected, shop, manager, other_shop
):
    person = one_person(connected, email=None)
    other_manager = make_membership(shop=other_shop, role=Role.MANAGER).user
    connection_save(shop=other_shop, user=other_manager, api_key=connected.api_key)
    for grocery, who in ((shop, manager), (other_shop, other_manager)):
        plan = build(grocery, who)
        [row] = plan_rows(plan)
        assert any("propre à l'épicerie" in warning for warning in row.warnings)
        run = import_plan_apply(shop=grocery, plan_id=plan.pk, user=who)
        assert run.counts.get("new") == 1, run.error
    logins = set(
        BeneficiaryProfile.objects.filter(escarcelle_id=person["id"]).values_list(
            "membership__user__username", flat=True
        )
    )
    assert logins == {
        f"esc-{shop.pk}-{person['id']}@beneficiaires.invalid".lower(),
        f"esc-{other_shop.pk}-{person['id']}@beneficiaires.invalid".lower(),
    }
