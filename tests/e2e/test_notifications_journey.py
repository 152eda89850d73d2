"""The distribution week in two browsers, with the e-mails a real SMTP server receives: the
manager opens orders (each beneficiary gets « commandes ouvertes »), a beneficiary follows the
e-mail's link, orders with a slot, gets her confirmation, changes her order and gets a second
e-mail; the manager closes orders with the button, validates, and sees the e-mails' log; the
sale reaches the Escarcelle emulator exactly once."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_in
from tests.epiclic.conftest import smtp_server  # noqa: F401 (fixture)
from tests.factories import (
    PASSWORD,
    bind_products,
    connect,
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_membership,
    make_shop,
    make_slot,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait_for_mail(server, count: int) -> None:
    deadline = time.monotonic() + 15
    while len(server.received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(server.received) >= count, [m["Subject"] for m in server.received]


def _text(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def _subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def test_opening_ordering_changing_and_closing_each_send_the_right_email(
    page: Page,
    browser,
    live_server,
    settings,
    escarcelle,
    smtp_server,  # noqa: F811 (the fixture imported above)
):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    escarcelle.seed(products=3, beneficiaries=1)
    remote = next(p for p in escarcelle.products() if p["active"] and p["unit"] == "piece")
    remote = escarcelle.update_product(remote["id"], name="Riz")
    stock_before = escarcelle.stock()[remote["id"]]
    if stock_before < 5:
        escarcelle.restock(remote["id"], 5)
        stock_before = escarcelle.stock()[remote["id"]]
    shop = make_shop(name="Épicerie du Port", slug="port")
    manager = make_user(email="gestion@port.example")
    make_membership(shop=shop, user=manager)
    connect(shop=shop, account=escarcelle, user=manager)
    (rice,) = bind_products(shop=shop, account=escarcelle, only=[remote["id"]])
    rice.stock = stock_before
    rice.save(update_fields=["stock"])
    distribution = make_distribution(
        shop=shop,
        state="upcoming",
        catalogues=[make_catalogue(shop=shop, products=[rice])],
        place="Salle des fêtes",
    )
    make_slot(distribution=distribution, capacity=5)
    make_beneficiary(
        shop=shop,
        user=make_user(email="awa@port.example", first_name="Awa", last_name="Diallo"),
        first_name="Awa",
        last_name="Diallo",
        escarcelle_id=escarcelle.beneficiaries()[0]["id"],
    )

    # --- The manager opens orders now. -------------------------------------------------
    sign_in(page, "gestion@port.example", PASSWORD)
    page.wait_for_url("**/port/produits/")
    page.goto(f"/port/distributions/{distribution.pk}/")
    page.get_by_role("button", name="Ouvrir les commandes maintenant").click()
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("commandes ouvertes", exact=True)).to_be_visible()
    _wait_for_mail(smtp_server, 1)
    opened = smtp_server.received[0]
    assert opened["To"] == "awa@port.example"
    assert "commandes ouvertes" in _subject(opened)
    link = re.search(r"https?://\S+(/port/commander/\d+/)", _text(opened)).group(1)

    # --- Awa follows the link, orders with a slot, then changes her order. ---------------
    context = browser.new_context(locale="fr-FR", base_url=live_server.url)
    try:
        awa = context.new_page()
        awa.set_default_timeout(10_000)
        sign_in(awa, "awa@port.example", PASSWORD)
        awa.wait_for_url("**/port/commander/")
        awa.goto(link)
        row = awa.locator("tbody tr", has_text="Riz")
        awa.get_by_label("Quantité de Riz", exact=True).fill("2")
        row.get_by_role("button", name="Ajouter").click()
        expect(awa.locator("#cart")).to_contain_text("2 ×")
        awa.locator("input[name=slot]").first.check()
        awa.get_by_role("button", name="Confirmer ma commande").click()
        awa.wait_for_url("**/port/mes-commandes/")
        _wait_for_mail(smtp_server, 2)
        confirmed = _text(smtp_server.received[1])
        assert "votre commande est confirmée" in _subject(smtp_server.received[1])
        assert "Riz × 2" in confirmed and "Créneau" in confirmed
        assert "Salle des fêtes" in confirmed

        awa.get_by_role("button", name="Modifier").click()
        awa.get_by_label("Quantité de Riz", exact=True).fill("3")
        # In the cart already, the row's button says « Modifier ».
        awa.locator("tbody tr", has_text="Riz").get_by_role("button", name="Modifier").click()
        expect(awa.locator("#cart")).to_contain_text("3 ×")
        slot = awa.locator("input[name=slot]").first
        if not slot.is_checked():
            slot.check()
        awa.get_by_role("button", name="Confirmer la modification").click()
        awa.wait_for_url("**/port/mes-commandes/")
        _wait_for_mail(smtp_server, 3)
        assert "votre commande est modifiée" in _subject(smtp_server.received[2])
        assert "Riz × 3" in _text(smtp_server.received[2])
    finally:
        context.close()

    # --- The manager closes orders with the button, validates, reads the log. ------------
    page.goto(f"/port/distributions/{distribution.pk}/")
    page.get_by_role("button", name="Fermer les commandes maintenant").click()
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("commandes fermées", exact=True)).to_be_visible()
    page.get_by_role("button", name="Valider la distribution").click()
    page.wait_for_url(f"**/port/distributions/{distribution.pk}/valider/")
    page.get_by_role("button", name="Valider la distribution").click()
    expect(page.get_by_text("Distribution validée", exact=False).first).to_be_visible()
    page.locator("#notifications summary").click()
    log = page.locator("#notifications")
    expect(log).to_contain_text("E-mails aux bénéficiaires (3)")
    expect(log).to_contain_text("Awa Diallo")
    expect(log).to_contain_text("envoyé")
    assert len(smtp_server.received) == 3  # delivered as ordered: no « manquant » e-mail

    # --- The sale is in Escarcelle once, with the changed quantity. -----------------------
    sales = escarcelle.sales()
    assert len(sales) == 1
    assert [(line["product_id"], Decimal(line["quantity"])) for line in sales[0]["lines"]] == [
        (remote["id"], Decimal("3"))
    ]
    assert escarcelle.stock()[remote["id"]] == stock_before - 3
