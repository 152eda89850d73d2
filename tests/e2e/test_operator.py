"""The operator's journey: a staff user creates a grocery and invites its manager; the manager
chooses a password from the e-mail, connects Escarcelle and imports the products; the fleet
shows the grocery connected, then "clé refusée" once the key is revoked in Escarcelle."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_mission import shoot
from tests.emails import sent_emails
from tests.factories import PASSWORD, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.slow
def test_staff_onboards_a_grocery_whose_manager_connects_escarcelle(
    page, browser, live_server, settings, escarcelle
):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    escarcelle.seed(products=5, beneficiaries=1)
    make_staff(email="ops@epiclic.example")

    # --- The operator creates the grocery and invites its manager. ----------------------
    sign_in(page, "ops@epiclic.example", PASSWORD)
    page.goto("/operateur/")
    page.get_by_role("link", name="Créer une épicerie").first.click()
    page.get_by_label("Nom", exact=True).fill("Épicerie du Port")
    page.get_by_label("Identifiant d'adresse", exact=True).fill("port")
    page.get_by_label("Adresse", exact=True).fill("1 quai des Pêcheurs")
    page.get_by_label("E-mail de contact", exact=True).fill("contact@port.example")
    page.get_by_label("Fuseau horaire", exact=True).fill("Europe/Paris")
    page.get_by_label("E-mail du premier gestionnaire", exact=True).fill("gerante@port.example")
    page.get_by_role("button", name="Créer et inviter").click()
    expect(page.get_by_text("Épicerie « Épicerie du Port » créée")).to_be_visible()

    (invitation,) = [m for m in sent_emails() if m.to == ["gerante@port.example"]]
    link = re.search(r"https?://\S+/compte/invitation/\S+/", invitation.body)
    assert link is not None

    # --- The manager accepts from the link, in a browser of her own. --------------------
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    try:
        manager = context.new_page()
        manager.set_default_timeout(10_000)
        manager.goto(urlsplit(link.group(0)).path)
        manager.get_by_label("Mot de passe", exact=True).fill("Un-mot-de-passe-2026")
        manager.get_by_label("Confirmation du mot de passe", exact=True).fill(
            "Un-mot-de-passe-2026"
        )
        manager.get_by_role("button", name="Accepter et créer mon compte").click()
        manager.wait_for_url("**/port/produits/")
        expect(manager.get_by_text("Bienvenue : vous gérez Épicerie du Port.")).to_be_visible()

        # --- She connects Escarcelle and imports the products. --------------------------
        manager.goto("/port/parametres/escarcelle/")
        manager.get_by_label("Clé Escarcelle").fill(escarcelle.api_key)
        manager.get_by_role("button", name="Enregistrer").click()
        expect(
            manager.locator("#escarcelle-connection").get_by_text("connecté", exact=True)
        ).to_be_visible()
        manager.goto("/port/produits/import-escarcelle/")
        manager.get_by_role("button", name="Chercher la liste sur Escarcelle").click()
        expect(manager.locator("[data-count=new]")).to_have_text("5")
        manager.get_by_role("button", name="Confirmer l'import").click()
        expect(manager.get_by_text("import terminé")).to_be_visible()

        # --- The fleet shows it connected. ----------------------------------------------
        page.goto("/operateur/?q=port")
        row = page.locator("#fleet tbody tr", has_text="Épicerie du Port")
        expect(row.locator("td").nth(1)).to_have_text("connectée")
        expect(row.locator("td").nth(6)).not_to_have_text("—")

        # --- The key is revoked in Escarcelle; the next sync meets the refusal. --------
        escarcelle.revoke_key()
        manager.goto("/port/stocks/")
        with manager.expect_response(lambda r: "/stocks/synchroniser/" in r.url):
            manager.get_by_role("button", name="Synchroniser maintenant").click()
        page.reload()
        expect(row.locator("td").nth(1)).to_have_text("clé refusée")
        page.get_by_label("En difficulté seulement").check()
        expect(page.locator("#fleet tbody tr", has_text="Épicerie du Port")).to_have_count(1)
        shoot(page, "operator-fleet")
    finally:
        context.close()
