"""The mission, end to end: from a pasted Escarcelle key to a sale in Escarcelle.

A manager connects the shop to Escarcelle, imports its products, puts two of them in a
catalogue, opens a distribution and reads the stock; a beneficiary orders in a second
browser; the manager validates the distribution and the sale lands in the emulator.
"""

from __future__ import annotations

import datetime
import io
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from distributions.models import Distribution
from escarcelle.models import Connection
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, make_beneficiary, make_membership, make_shop, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The README's tour: `make screenshots` runs this journey with EPICLIC_SCREENSHOTS=docs/img.
SHOTS = Path(os.environ.get("EPICLIC_SCREENSHOTS") or "/tmp/e2e-shots")
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def shoot(page: Page, name: str, *, full_page: bool = False) -> None:
    """What the window shows, saved as a small palette PNG (flat colours: no dithering)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(full_page=full_page, animations="disabled", caret="hide")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64, dither=Image.Dither.NONE).save(SHOTS / f"{name}.png", optimize=True)


def local_input(moment: datetime.datetime) -> str:
    """What a datetime-local input takes, in the shop's time zone (Europe/Paris)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def nav(page: Page, tab: str) -> None:
    page.locator("header nav").get_by_role("link", name=tab, exact=True).click()


def pick_products(escarcelle) -> tuple[dict, dict]:
    """Two emulator products sold by the piece, the first with at least 3 in stock."""
    stock = escarcelle.stock()
    pieces = [p for p in escarcelle.products() if p["unit"] == "piece" and p["active"]]
    stocked = [p for p in pieces if stock.get(p["id"], Decimal(0)) >= 3]
    assert stocked, "the seeded account needs a product sold by the piece with stock ≥ 3"
    ordered = stocked[0]
    other = next(p for p in pieces if p["id"] != ordered["id"])
    return ordered, other


@pytest.mark.slow
def test_a_manager_connects_escarcelle_and_a_beneficiarys_order_becomes_an_escarcelle_sale(
    page, browser, live_server, settings, escarcelle
):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    escarcelle.seed(products=10, beneficiaries=3)
    ordered, other = pick_products(escarcelle)
    stock_before = escarcelle.stock()[ordered["id"]]
    escarcelle_beneficiary = escarcelle.beneficiaries()[0]

    shop = make_shop(name="Épicerie du Port", slug="port")
    make_membership(shop=shop, user=make_user(email="gestion@port.example", first_name="Camille"))

    # --- The manager connects Epiclic to Escarcelle. ---------------------------------------
    page.set_viewport_size(LAPTOP)
    page.goto("/compte/connexion/")
    page.get_by_label("E-mail").fill("gestion@port.example")
    shoot(page, "1-connexion")
    sign_in(page, "gestion@port.example", PASSWORD)
    page.wait_for_url("**/port/produits/")
    nav(page, "Paramètres")
    page.wait_for_url("**/port/parametres/")
    page.get_by_role("link", name="Synchro Escarcelle").click()
    page.wait_for_url("**/port/parametres/escarcelle/")
    expect(page.get_by_text("Epiclic n'est pas connecté à Escarcelle.")).to_be_visible()

    page.get_by_label("Clé Escarcelle").fill("esc_live_ceci-nest-pas-la-bonne-cle")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Clé Escarcelle refusée")
    expect(page.get_by_text("Epiclic n'est pas connecté à Escarcelle.")).to_be_visible()
    assert not Connection.objects.filter(shop=shop).exists()
    assert "ceci-nest-pas-la-bonne-cle" not in page.content(), "a refused key is not echoed back"

    page.get_by_label("Clé Escarcelle").fill(escarcelle.api_key)
    page.get_by_role("button", name="Enregistrer").click()
    connection_section = page.locator("#escarcelle-connection")
    expect(connection_section.get_by_text("connecté", exact=True)).to_be_visible()
    expect(connection_section).to_contain_text(f"Compte Escarcelle : {escarcelle.name}")
    expect(connection_section.locator("code")).to_have_text(f"••••••••{escarcelle.api_key[-4:]}")
    assert escarcelle.api_key not in page.content()
    shoot(page, "2-synchro-escarcelle")

    # --- Import the products: preview, then confirm. -------------------------------------
    nav(page, "Produits")
    page.wait_for_url("**/port/produits/")
    page.get_by_text("Import/Export").click()
    page.get_by_role("link", name="Import Escarcelle").click()
    page.wait_for_url("**/port/produits/import-escarcelle/")
    page.get_by_role("button", name="Chercher la liste sur Escarcelle").click()
    page.wait_for_url(re.compile(r"/port/produits/import-escarcelle/\d+/$"))
    # The preview is built by a task; the page polls until it is ready.
    expect(page.locator("[data-count=new]")).to_have_text("10")
    expect(page.locator("[data-count=error]")).to_have_text("0")
    expect(page.get_by_role("checkbox", name="Importer cette ligne")).to_have_count(10)
    shoot(page, "3-apercu-import")
    assert shop.products.count() == 0, "nothing is imported before the confirmation"

    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_text("import terminé")).to_be_visible()
    expect(page.locator("main")).to_contain_text("10 créés, 0 mis à jour")
    expect(page.get_by_role("heading", name="10 produits sans photo")).to_be_visible()
    expect(page.get_by_text("Pensez à leur attribuer une photo.")).to_be_visible()
    expect(page.get_by_role("link", name=ordered["name"], exact=True)).to_be_visible()

    # --- Put two imported products in a new catalogue. ---------------------------------
    nav(page, "Catalogues")
    page.get_by_role("button", name="Nouveau catalogue").click()
    page.get_by_label("Nom", exact=True).fill("Panier de la semaine")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/port/catalogues/\d+/ajouter/"))
    page.get_by_label(ordered["name"], exact=True).check()
    page.get_by_label(other["name"], exact=True).check()
    page.get_by_role("button", name="Ajouter les produits cochés").click()
    expect(page.get_by_text("2 produits ajoutés au catalogue.")).to_be_visible()

    # --- Open a distribution offering that catalogue. ----------------------------------
    now = timezone.now()
    starts_at = now + datetime.timedelta(days=2)
    nav(page, "Distributions")
    page.get_by_role("button", name="Nouvelle distribution").click()
    page.get_by_label("Date et heure", exact=True).fill(local_input(starts_at))
    page.get_by_label("Fin", exact=True).fill(local_input(starts_at + datetime.timedelta(hours=2)))
    page.get_by_label("Lieu", exact=True).fill("Salle des fêtes")
    page.get_by_label("Ouverture des commandes", exact=True).fill(
        local_input(now - datetime.timedelta(hours=1))
    )
    page.get_by_label("Fermeture des commandes", exact=True).fill(
        local_input(now + datetime.timedelta(days=1))
    )
    page.get_by_label("Panier de la semaine").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/port/distributions/\d+/$"))
    expect(page.get_by_text("Distribution créée.")).to_be_visible()
    expect(page.get_by_text("commandes ouvertes", exact=True)).to_be_visible()
    distribution_url = page.url
    distribution = Distribution.objects.get(shop=shop)

    # --- Read Escarcelle's stock now. --------------------------------------------------
    nav(page, "Stocks")
    page.wait_for_url("**/port/stocks/")
    with page.expect_response(lambda r: "/stocks/synchroniser/" in r.url):
        page.get_by_role("button", name="Synchroniser maintenant").click()
    page.reload()
    row = page.locator("#stock-table tbody tr", has_text=ordered["name"])
    expect(row.locator("td").nth(1)).to_have_text("Escarcelle")
    expect(row.locator("td").nth(2)).to_have_text(f"{stock_before.normalize():f}")
    expect(row.locator("td").nth(4)).to_have_text(f"{stock_before.normalize():f}")
    expect(page.locator("#sync-status")).not_to_contain_text("jamais")
    shoot(page, "4-stocks")

    # --- A beneficiary orders two of them, in a browser of her own. --------------------
    make_beneficiary(
        shop=shop,
        user=make_user(email="awa@port.example", first_name="Awa", last_name="Diallo"),
        participation_rate="30",
        escarcelle_id=escarcelle_beneficiary["id"],
    )
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    try:
        beneficiary = context.new_page()
        beneficiary.set_default_timeout(10_000)
        sign_in(beneficiary, "awa@port.example", PASSWORD)
        beneficiary.wait_for_url("**/port/commander/")
        beneficiary.get_by_role("button", name="Choisir mes produits").click()
        beneficiary.wait_for_url(f"**/port/commander/{distribution.pk}/")
        product_row = beneficiary.locator("tbody tr", has_text=ordered["name"])
        expect(product_row.locator("td").nth(3)).to_have_text(f"{stock_before.normalize():f}")
        beneficiary.get_by_label(f"Quantité de {ordered['name']}", exact=True).fill("2")
        product_row.get_by_role("button", name="Ajouter").click()
        cart = beneficiary.locator("#cart")
        expect(cart).to_contain_text(ordered["name"])
        expect(cart).to_contain_text("2 ×")
        beneficiary.set_viewport_size(PHONE)
        beneficiary.evaluate("window.scrollTo(0, 0)")
        shoot(beneficiary, "5-commande-telephone")
        beneficiary.set_viewport_size(LAPTOP)
        beneficiary.get_by_role("button", name="Confirmer ma commande").click()
        beneficiary.wait_for_url("**/port/mes-commandes/")
        expect(beneficiary.get_by_text("Votre commande est confirmée.")).to_be_visible()
        my_order = beneficiary.locator("article").first
        expect(my_order).to_contain_text(ordered["name"])
        expect(my_order).to_contain_text("confirmée")

        # --- Orders close (time travel), the manager validates. ------------------------
        Distribution.objects.filter(pk=distribution.pk).update(
            orders_close_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        page.goto(distribution_url)
        expect(page.get_by_text("commandes fermées", exact=True)).to_be_visible()
        expect(page.locator("article header")).to_contain_text("Awa Diallo")
        page.get_by_role("button", name="Valider la distribution").click()
        page.wait_for_url(f"**/port/distributions/{distribution.pk}/valider/")
        expect(page.get_by_text("1 commande sera marquée livrée")).to_be_visible()
        page.get_by_role("button", name="Valider la distribution").click()
        page.wait_for_url(distribution_url)
        expect(
            page.get_by_text("Distribution validée : les commandes sont livrées.")
        ).to_be_visible()
        sales_section = page.locator("#ventes-escarcelle")
        expect(sales_section).to_contain_text("1 envoyée")
        expect(sales_section).to_contain_text("0 en attente")
        expect(sales_section).to_contain_text("0 en échec")
        product_line = page.locator("tbody tr", has_text=ordered["name"]).first
        expect(product_line.locator("td").nth(4)).to_have_text(
            f"{(stock_before - 2).normalize():f}"
        )
        shoot(page, "6-distribution-validee", full_page=True)

        # --- The sale is in Escarcelle, and its stock went down. ------------------------
        sales = escarcelle.sales()
        assert len(sales) == 1
        (sale,) = sales
        assert sale["beneficiary_id"] == escarcelle_beneficiary["id"]
        assert [(line["product_id"], Decimal(line["quantity"])) for line in sale["lines"]] == [
            (ordered["id"], Decimal("2"))
        ]
        assert escarcelle.stock()[ordered["id"]] == stock_before - 2

        beneficiary.reload()
        expect(beneficiary.locator("article").first).to_contain_text("livrée")
    finally:
        context.close()
