from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.urls import reverse

from shops.models import Role
from tests.factories import PASSWORD, make_membership, make_shop, make_user

MANAGER_PAGES = [
    "catalog:products",
    "catalog:catalogues",
    "escarcelle:stocks",
    "distributions:list",
    "shops:beneficiaries",
    "shops:settings",
    "escarcelle:settings",
]
BENEFICIARY_PAGES = ["distributions:order", "distributions:my_orders"]


@pytest.mark.parametrize("name", MANAGER_PAGES)
def test_manager_pages_are_guarded_by_shop_and_role(check_tenancy, shop, name):
    check_tenancy(reverse(name, kwargs={"shop_slug": shop.slug}))


@pytest.mark.parametrize("name", BENEFICIARY_PAGES)
def test_beneficiary_pages_are_guarded_by_shop_and_role(check_tenancy, shop, name):
    check_tenancy(reverse(name, kwargs={"shop_slug": shop.slug}), role=Role.BENEFICIARY)


def test_a_manager_of_shop_a_gets_404_for_every_shop_b_url(manager_client, other_shop):
    for name in MANAGER_PAGES + BENEFICIARY_PAGES + ["shops:home"]:
        url = reverse(name, kwargs={"shop_slug": other_shop.slug})
        assert manager_client.get(url).status_code == 404, url


def test_an_unknown_shop_slug_answers_404(manager_client):
    assert manager_client.get("/nulle-part/produits/").status_code == 404


def test_the_manager_sees_the_manager_navigation(manager_client, shop):
    response = manager_client.get(reverse("catalog:products", kwargs={"shop_slug": shop.slug}))
    html = response.content.decode()
    for label in ["Produits", "Catalogues", "Stocks", "Distributions", "Bénéficiaires"]:
        assert f">{label}</a>" in html
    assert "Commander" not in html


def test_the_beneficiary_sees_the_beneficiary_navigation(beneficiary_client, shop):
    response = beneficiary_client.get(
        reverse("distributions:order", kwargs={"shop_slug": shop.slug})
    )
    html = response.content.decode()
    assert ">Commander</a>" in html and ">Mes commandes</a>" in html
    assert ">Stocks</a>" not in html


def test_every_navigation_link_answers_200(manager_client, beneficiary_client, shop):
    for client, names in [(manager_client, MANAGER_PAGES), (beneficiary_client, BENEFICIARY_PAGES)]:
        for name in names:
            url = reverse(name, kwargs={"shop_slug": shop.slug})
            assert client.get(url).status_code == 200, url


def test_sign_in_with_a_wrong_password_shows_a_french_message(client, manager):
    response = client.post(
        reverse("login"), {"username": manager.username, "password": "pas-le-bon"}
    )
    assert response.status_code == 200
    assert "E-mail ou mot de passe incorrect" in response.content.decode()


def test_sign_in_leads_a_single_shop_manager_to_the_products(client, manager, shop):
    response = client.post(
        reverse("login"), {"username": manager.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/{shop.slug}/produits/"


def test_a_user_of_several_shops_gets_the_shop_picker(client, manager, shop, other_shop):
    make_membership(shop=other_shop, user=manager, role=Role.BENEFICIARY)
    client.force_login(manager)
    html = client.get(reverse("home")).content.decode()
    assert shop.name in html and other_shop.name in html


def test_an_anonymous_visitor_is_sent_to_sign_in(client, shop):
    response = client.get(reverse("catalog:products", kwargs={"shop_slug": shop.slug}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_reset_sends_an_email(client, manager):
    response = client.post(reverse("password_reset"), {"email": manager.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/compte/mot-de-passe/nouveau/" in mail.outbox[0].body


def test_a_tampered_reset_link_says_it_is_no_longer_valid(client):
    response = client.get("/compte/mot-de-passe/nouveau/XX/abc-def/")
    assert response.status_code == 200
    assert "plus valable" in response.content.decode()


def test_a_superuser_can_open_any_shop_and_the_admin(client, shop):
    admin = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(reverse("shops:settings", kwargs={"shop_slug": shop.slug})).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_english_is_selectable(client, manager, shop):
    client.force_login(manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("shops:settings", kwargs={"shop_slug": shop.slug})).content.decode()
    assert "Settings" in html


def test_a_reserved_slug_is_refused(db):
    from django.core.exceptions import ValidationError

    shop = make_shop(slug="ok-slug")
    shop.slug = "admin"
    with pytest.raises(ValidationError):
        shop.full_clean()


def test_the_network_guard_refuses_non_loopback_addresses():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(RuntimeError, match="non-loopback"):
            sock.connect(("192.0.2.1", 80))
    finally:
        sock.close()


def test_a_missing_page_answers_a_french_404_page(client, manager):
    client.force_login(manager)
    response = client.get("/nulle-part/produits/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_the_wrong_role_answers_a_french_403_page(beneficiary_client, shop):
    response = beneficiary_client.get(reverse("shops:settings", kwargs={"shop_slug": shop.slug}))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_a_member_of_two_shops_is_offered_to_change_shop_and_a_member_of_one_is_not(
    beneficiary_client, beneficiary, shop, other_shop
):
    page = reverse("distributions:order", kwargs={"shop_slug": shop.slug})
    assert "Changer d'épicerie" not in beneficiary_client.get(page).content.decode()
    make_membership(shop=other_shop, user=beneficiary, role=Role.BENEFICIARY)
    assert "Changer d'épicerie" in beneficiary_client.get(page).content.decode()
