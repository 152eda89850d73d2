"""Switching the language to English from the header."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, make_beneficiary, make_membership, make_shop, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_switches_to_english_and_the_navigation_follows(page):
    shop = make_shop(name="Épicerie du Port", slug="port")
    make_membership(shop=shop, user=make_user(email="gestion@port.example"))
    sign_in(page, "gestion@port.example", PASSWORD)
    page.wait_for_url("**/port/produits/")
    nav = page.locator("header nav")
    expect(nav.get_by_role("link", name="Paramètres")).to_be_visible()

    page.get_by_label("Langue").select_option("en")
    # Choosing is not changing: the interface switches on the button only.
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.wait_for_url("**/port/produits/")
    for tab in ["Products", "Catalogues", "Stock", "Distributions", "Beneficiaries", "Settings"]:
        expect(nav.get_by_role("link", name=tab, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()

    # The choice sticks from page to page.
    nav.get_by_role("link", name="Settings", exact=True).click()
    page.wait_for_url("**/port/parametres/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.get_by_label("Language")).to_have_value("en")

    # And back to French.
    page.get_by_label("Language").select_option("fr")
    page.locator("form.language").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(nav.get_by_role("link", name="Paramètres", exact=True)).to_be_visible()


def test_a_beneficiary_sees_the_english_navigation_too(page):
    shop = make_shop(slug="quai")
    make_beneficiary(shop=shop, user=make_user(email="awa@quai.example"))
    sign_in(page, "awa@quai.example", PASSWORD)
    page.wait_for_url("**/quai/commander/")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    nav = page.locator("header nav")
    for tab in ["Order", "My orders"]:
        expect(nav.get_by_role("link", name=tab, exact=True)).to_be_visible()
