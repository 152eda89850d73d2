"""*Mon compte*: a beneficiary's own account, password, e-mails, budget and past orders."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shops.models import NotificationKind, Role
from tests.factories import (
    PASSWORD,
    make_beneficiary,
    make_distribution,
    make_membership,
    make_order,
    make_product,
    make_user,
)


def url(name: str, shop) -> str:
    return reverse(f"distributions:{name}", kwargs={"shop_slug": shop.slug})


def change_account(
    client: Client, shop, *, email: str, password: str | None = None
) -> HttpResponse:
    """Post *Mon compte*'s name and e-mail form, the name Inès Dupré; ``password`` fills its
    current-password field."""
    data = {"form": "account", "first_name": "Inès", "last_name": "Dupré", "email": email}
    if password is not None:
        data["current_password"] = password
    return client.post(url("account", shop), data)


def change_password(client: Client, shop, *, old: str, new: str) -> HttpResponse:
    return client.post(
        url("account_password", shop),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_the_account_pages_are_guarded(check_tenancy, shop):
    check_tenancy(url("account", shop), role=Role.BENEFICIARY)
    new = "un-nouveau-mot-de-passe-2026"
    check_tenancy(
        url("account_password", shop),
        role=Role.BENEFICIARY,
        method="post",
        data={"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )


def test_a_manager_of_the_shop_and_a_beneficiary_of_another_see_no_account(shop, other_shop):
    manager = Client()
    manager.force_login(make_membership(shop=shop, role=Role.MANAGER).user)
    assert manager.get(url("account", shop)).status_code == 403
    elsewhere = Client()
    elsewhere.force_login(make_beneficiary(shop=other_shop).membership.user)
    assert elsewhere.get(url("account", shop)).status_code == 404


def test_the_header_links_to_the_account(beneficiary_client, shop):
    page = beneficiary_client.get(url("my_orders", shop)).content.decode()
    assert f'href="{url("account", shop)}"' in page and "Mon compte" in page


def test_the_page_shows_the_budget_left_this_month_and_the_access_end(shop):
    until = timezone.localdate() + datetime.timedelta(days=40)
    profile = make_beneficiary(shop=shop, monthly_budget="50", access_valid_until=until)
    product = make_product(shop=shop, price="10.00")
    # Bought this month at 30 %: 2 × 3,00 = 6,00 € of the 50 € budget.
    distribution = make_distribution(shop=shop, state="validated", starts_at=timezone.now())
    make_order(membership=profile.membership, distribution=distribution, lines={product: 2})
    client = Client()
    client.force_login(profile.membership.user)
    page = client.get(url("account", shop)).content.decode()
    assert "<strong>44.00\u00a0€</strong>" in page.replace(",", ".")
    assert f"{until.day} " in page and str(until.year) in page


def test_past_orders_show_what_was_paid_and_saved_from_the_frozen_lines(shop):
    profile = make_beneficiary(shop=shop, participation_rate="30")
    product = make_product(shop=shop, price="10.00")
    distribution = make_distribution(shop=shop, state="validated")
    make_order(
        membership=profile.membership,
        distribution=distribution,
        lines={product: 3},
        status="delivered",
    )
    # A later price change does not change what the order cost or saved.
    product.price = Decimal("99.00")
    product.save()
    client = Client()
    client.force_login(profile.membership.user)
    page = client.get(url("account", shop)).content.decode().replace(",", ".")
    # Shelf value 30,00 €, paid 3 × 3,00 = 9,00 €, saved 21,00 €.
    assert (
        "30.00\u00a0€" in page and "9.00\u00a0€" in page and "<strong>21.00\u00a0€</strong>" in page
    )


def test_a_beneficiary_changes_their_name_and_e_mail(shop, beneficiary, beneficiary_client):
    response = change_account(beneficiary_client, shop, email="Ines@Exemple.fr", password=PASSWORD)
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=beneficiary.pk)
    assert (user.first_name, user.last_name, user.email) == ("Inès", "Dupré", "ines@exemple.fr")
    # The new e-mail signs in.
    assert Client().login(username="ines@exemple.fr", password=PASSWORD)


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("", "Indiquez votre mot de passe actuel pour changer d&#x27;e-mail."),
        ("pas-le-bon-2026", "Ce mot de passe n&#x27;est pas le bon."),
    ],
)
def test_a_new_e_mail_without_the_right_current_password_is_refused_and_nothing_changes(
    shop, beneficiary, beneficiary_client, password, error
):
    before = beneficiary
    # The names too: a refused form saves nothing.
    response = change_account(
        beneficiary_client, shop, email="voleur@exemple.fr", password=password
    )
    assert response.status_code == 400
    page = response.content.decode()
    # The message sits under the password field (its error list, referenced by the field).
    assert f'<ul class="errorlist" id="id_current_password_error"><li>{error}</li>' in page
    user = get_user_model().objects.get(pk=before.pk)
    assert (user.first_name, user.last_name, user.email, user.username) == (
        before.first_name,
        before.last_name,
        before.email,
        before.username,
    )
    assert Client().login(username=before.username, password=PASSWORD)


def test_changing_only_the_name_needs_no_password(shop, beneficiary, beneficiary_client):
    user = beneficiary
    response = change_account(beneficiary_client, shop, email=user.email.upper())
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Inès", "Dupré")


def test_an_e_mail_of_another_account_is_refused(shop, beneficiary, beneficiary_client):
    make_user(email="pris@exemple.fr")
    response = change_account(beneficiary_client, shop, email="PRIS@exemple.fr", password=PASSWORD)
    assert response.status_code == 400
    assert "déjà celle d&#x27;un autre compte" in response.content.decode()
    user = get_user_model().objects.get(pk=beneficiary.pk)
    assert user.email != "pris@exemple.fr"


def test_changing_the_password_keeps_the_session(shop, beneficiary, beneficiary_client):
    new = "un-nouveau-mot-de-passe-2026"
    response = change_password(beneficiary_client, shop, old=PASSWORD, new=new)
    assert response.status_code == 302
    assert beneficiary_client.get(url("account", shop)).status_code == 200
    assert Client().login(username=beneficiary.username, password=new)


def test_a_wrong_old_password_is_refused(shop, beneficiary, beneficiary_client):
    response = change_password(beneficiary_client, shop, old="faux", new="x-Y-z-2026-abc")
    assert response.status_code == 400
    assert Client().login(username=beneficiary.username, password=PASSWORD)


@pytest.mark.parametrize("shop_off", [[], [NotificationKind.PICKUP_REMINDER]])
def test_notification_preferences_are_saved_and_the_grocery_s_off_kinds_kept(shop, shop_off):
    shop.notifications_off = shop_off
    shop.save()
    profile = make_beneficiary(shop=shop)
    membership = profile.membership
    membership.notifications_off = [NotificationKind.PICKUP_REMINDER]
    membership.save()
    client = Client()
    client.force_login(membership.user)
    page = client.get(url("account", shop)).content.decode()
    if shop_off:
        assert "non proposé par l" in page.replace("&#x27;", "'")
    # Everything ticked but the orders-open e-mail (a disabled box is not sent).
    ticked = [k for k in NotificationKind.values if k != NotificationKind.ORDERS_OPEN]
    if shop_off:
        ticked.remove(NotificationKind.PICKUP_REMINDER)
    response = client.post(url("account", shop), {"form": "notifications", "kinds": ticked})
    assert response.status_code == 302
    membership.refresh_from_db()
    expected = {NotificationKind.ORDERS_OPEN}
    if shop_off:
        # The member's own choice on a kind the grocery switched off stays as it was.
        expected.add(NotificationKind.PICKUP_REMINDER)
    assert set(membership.notifications_off) == expected
