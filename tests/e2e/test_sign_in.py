from __future__ import annotations

import pytest

from shops.models import Role
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, make_membership, make_shop, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_signs_in_and_sees_the_manager_navigation(page):
    shop = make_shop(name="Épicerie du Port", slug="port")
    user = make_user(email="gestion@port.example")
    make_membership(shop=shop, user=user, role=Role.MANAGER)

    sign_in(page, "gestion@port.example", PASSWORD)

    page.wait_for_url("**/port/produits/")
    nav = page.locator("header nav")
    for tab in ["Produits", "Catalogues", "Stocks", "Distributions", "Bénéficiaires", "Paramètres"]:
        assert nav.get_by_role("link", name=tab).is_visible()


def test_a_wrong_password_shows_a_french_message_in_the_browser(page):
    make_user(email="quelquun@example.org")
    sign_in(page, "quelquun@example.org", "mauvais")
    assert page.get_by_text("E-mail ou mot de passe incorrect").is_visible()
