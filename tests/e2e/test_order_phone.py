"""Ordering on a phone (390 px): find a product by searching or by its category, change a
quantity with the keyboard, reach the cart from the top; nothing focused hides under the
fixed cart bar, four digits fit in a quantity and a price never wraps its "€" alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.factories import (
    PASSWORD,
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_product,
    make_shop,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CATEGORIES = ["Boissons", "Conserves", "Épicerie", "Frais", "Hygiène"]


def test_a_beneficiary_orders_on_a_phone(page):
    shop = make_shop(name="Épicerie du Port", slug="port")
    products = [
        make_product(
            shop=shop,
            name=f"Produit {n:02d}",
            category=CATEGORIES[n % 5],
            price="1234.50" if n == 7 else "2.00",
            stock="5000",
        )
        for n in range(40)
    ]
    lentils = make_product(shop=shop, name="Lentilles vertes", category="Épicerie", stock="50")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[*products, lentils])]
    )
    make_beneficiary(shop=shop, user=make_user(email="awa@port.example"))
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "awa@port.example", PASSWORD)
    page.wait_for_url("**/port/commander/")
    page.goto(f"/port/commander/{distribution.pk}/")

    # The search filters the list as one types, without accents or case.
    page.get_by_role("searchbox", name="Chercher un produit").fill("LENTILLES vértes")
    rows = page.locator("#order-products tbody tr")
    expect(rows.filter(visible=True)).to_have_count(1)
    expect(rows.filter(visible=True)).to_contain_text("Lentilles vertes")
    expect(page.get_by_role("heading", name="Boissons")).to_be_hidden()
    page.get_by_role("searchbox", name="Chercher un produit").fill("")
    expect(rows.filter(visible=True)).to_have_count(41)

    # The category jump brings the category's heading on screen.
    page.get_by_role("navigation", name="Rayons").get_by_role("link", name="Hygiène").click()
    expect(page.get_by_role("heading", name="Hygiène")).to_be_in_viewport()

    # Four digits fit in a quantity field; Enter adds that row's product (htmx, one form).
    quantity = page.get_by_label("Quantité de Produit 39", exact=True)
    quantity.fill("1000")
    assert quantity.evaluate("e => e.scrollWidth <= e.clientWidth"), "1000 does not fit"
    quantity.press("Enter")
    expect(page.locator("#cart")).to_contain_text("Produit 39")
    expect(page.locator("#cart-summary")).to_contain_text("1 produit")

    # A price never leaves its "€" alone on a line.
    price = page.locator("tbody tr", has_text="Produit 07").locator("td.price strong")
    lines = price.evaluate("e => e.getClientRects().length")
    assert lines == 1, f"the price wraps over {lines} lines"

    # Focus never stops under the fixed cart bar at the bottom of the screen.
    bar = page.locator("a.cart-jump")
    expect(bar).to_be_visible()
    bar_top = bar.bounding_box()["y"]
    page.get_by_label("Quantité de Produit 00", exact=True).focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        box = page.evaluate(
            "() => { const r = document.activeElement.getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom}; }"
        )
        if page.evaluate("() => document.activeElement.closest('a.cart-jump') !== null"):
            continue
        assert box["bottom"] <= bar_top, f"a focused element is under the cart bar: {box}"

    # "Aller à mon panier", at the top, leads to the cart.
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#cart-summary").get_by_role("link", name="Aller à mon panier").click()
    expect(page.locator("#cart")).to_be_in_viewport()


def test_without_javascript_a_button_or_enter_adds_and_the_search_filters(browser, live_server):
    shop = make_shop(name="Épicerie du Port", slug="port")
    rice = make_product(shop=shop, name="Riz long", category="Épicerie", stock="50")
    pasta = make_product(shop=shop, name="Pâtes penne", category="Épicerie", stock="50")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[rice, pasta])]
    )
    make_beneficiary(shop=shop, user=make_user(email="awa@port.example"))
    context = browser.new_context(
        locale="fr-FR",
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 390, "height": 844},
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, "awa@port.example", PASSWORD)
        page.goto(f"/port/commander/{distribution.pk}/")
        page.get_by_label("Quantité de Pâtes penne", exact=True).fill("3")
        page.locator("tbody tr", has_text="Pâtes penne").get_by_role("button").click()
        expect(page.locator("#cart")).to_contain_text("Pâtes penne")
        expect(page.locator("#cart-summary")).to_contain_text("1 produit")

        # Enter submits the list's first button, which names no product: what was typed is
        # saved; with nothing typed, it says what to do.
        page.get_by_label("Quantité de Riz long", exact=True).fill("2")
        page.get_by_label("Quantité de Riz long", exact=True).press("Enter")
        expect(page.locator("#cart")).to_contain_text("Riz long")
        expect(page.locator("#cart-summary")).to_contain_text("2 produits")
        page.get_by_label("Quantité de Riz long", exact=True).press("Enter")
        expect(page.get_by_text("Choisissez « Ajouter » ou « Modifier »")).to_be_visible()

        page.get_by_role("searchbox", name="Chercher un produit").fill("riz")
        page.get_by_role("button", name="Chercher", exact=True).click()
        expect(page.locator("#order-products tbody tr")).to_have_count(1)
        expect(page.get_by_text("1 produit trouvé pour « riz ».")).to_be_visible()
    finally:
        context.close()
