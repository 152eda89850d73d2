"""RGAA / WCAG 2.1 AA in the browser: axe-core on every page of both roles, at desktop and
phone widths, with no broken ARIA reference; the ordering page with the keyboard only; the
cart's status region announcing each change.

The pages are found by walking the site's own links from each role's home (one page per
route: ``/port/produits/12/`` and ``/port/produits/13/`` are the same page), so a page added
later is checked as soon as a link leads to it; states that no link reaches (a form with its
errors, a refused quantity) are listed in ``STATES``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from escarcelle.stock.services import stock_sync_shop
from shops.models import Role, Shop
from tests.e2e.conftest import sign_in
from tests.factories import (
    PASSWORD,
    bind_products,
    connect,
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_membership,
    make_order,
    make_product,
    make_shop,
    make_staff,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}

# Links not followed: leaving the site's pages, downloads, the admin, signing out.
NOT_FOLLOWED = re.compile(
    r"^/(admin|i18n|static|media)/|\.(csv|xlsx|pdf|ods|png|jpg|webp)$|/miniature/$"
    r"|/photo/$|/compte/deconnexion/"
)

# axe's run and the ARIA references check, in the page: ids that aria-describedby,
# aria-labelledby, aria-controls and aria-errormessage name must exist.
CHECK = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  if (!result.testEngine || !result.testEngine.name) throw new Error("axe did not run");
  const violations = result.violations.map(v => v.id + " (" + v.impact + "): " +
      v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + n.failureSummary
        .replace(/\\s+/g, " ")).join(" | "));
  const broken = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls",
                      "aria-errormessage", "aria-owns"]) {
    for (const el of document.querySelectorAll("[" + attr + "]")) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          broken.push(el.tagName.toLowerCase() + "[" + attr + "=" + id + "]");
        }
      }
    }
  }
  return {violations, broken};
}"""


def route_of(path: str) -> str:
    """One key per page: numbers (ids) become ``<n>``; the query string is left out."""
    return re.sub(r"/\d+(?=/|$|\.)", "/<n>", urlsplit(path).path)


def audit(page: Page, where: str) -> list[str]:
    """axe at both widths on the page as it is, plus the broken ARIA references."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the driver: the page's Content-Security-Policy forbids inline scripts.
        page.evaluate(AXE.read_text() + "\n;undefined")
    problems = []
    title = page.title()
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        found = page.evaluate(CHECK, WCAG_TAGS)
        problems += [f"{where} [{width_name}] {v}" for v in found["violations"]]
        problems += [f"{where} [{width_name}] broken reference {b}" for b in found["broken"]]
    if not title.strip():
        problems.append(f"{where}: no title")
    return problems


def same_site_links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    return [h.split("#")[0] for h in hrefs if h.startswith("/") and not NOT_FOLLOWED.search(h)]


def walk(page: Page, start: str, titles: dict[str, str], seen_routes: set[str]) -> list[str]:
    """Every route reachable by links from ``start`` (breadth first), each audited once."""
    problems: list[str] = []
    queue = [start]
    while queue:
        path = queue.pop(0)
        route = route_of(path)
        if route in seen_routes:
            continue
        seen_routes.add(route)
        response = page.goto(path)
        assert response is not None
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        if response.status >= 400:
            problems.append(f"{path}: answered {response.status}")
            continue
        # A redirect (``/`` → ``/port/produits/``) lands on a page that may be seen already.
        landed = route_of(page.url)
        if landed != route:
            if landed in seen_routes:
                continue
            seen_routes.add(landed)
            route = landed
        problems += audit(page, path)
        title = page.title()
        if title in titles and route_of(titles[title]) != route:
            problems.append(f"{path}: same title as {titles[title]}: {title!r}")
        titles.setdefault(title, path)
        queue += [link for link in same_site_links(page) if route_of(link) not in seen_routes]
    return problems


def grocery(escarcelle) -> dict:
    """A grocery connected to the emulator, with a catalogue, an open distribution with one
    order, a validated one, a manager and a beneficiary."""
    escarcelle.seed(products=6, beneficiaries=2)
    shop = make_shop(name="Épicerie du Port", slug="port")
    manager = make_user(email="gestion@port.example", first_name="Camille", last_name="Roux")
    make_membership(shop=shop, user=manager, role=Role.MANAGER)
    connect(shop=shop, account=escarcelle, user=manager)
    bound = bind_products(shop=shop, account=escarcelle)
    for product in bound:
        escarcelle.adjust(product.escarcelle_id, 2)
    stock_sync_shop(shop=shop)
    lentils = make_product(
        shop=shop, name="Lentilles vertes", price="2.40", stock="5", category="Épicerie"
    )
    rice = make_product(shop=shop, name="Riz", price="1.90", stock="1", category="Épicerie")
    catalogue = make_catalogue(shop=shop, name="Sec", products=[lentils, rice, *bound[:3]])
    awa = make_beneficiary(
        shop=shop,
        user=make_user(email="awa@port.example", first_name="Awa", last_name="Diallo"),
        monthly_budget="40",
    )
    other = make_beneficiary(shop=shop, user=make_user(first_name="Léo", last_name="Petit"))
    open_one = make_distribution(shop=shop, catalogues=[catalogue])
    make_order(membership=other.membership, distribution=open_one, lines={lentils: 1})
    validated = make_distribution(
        shop=shop, state="validated", catalogues=[catalogue], validated_by=manager
    )
    make_order(membership=awa.membership, distribution=validated, lines={rice: 1})
    closed = make_distribution(
        shop=shop, state="closed", catalogues=[catalogue], starts_at=timezone.now()
    )
    make_order(membership=other.membership, distribution=closed, lines={lentils: 1})
    awa_order = make_order(membership=awa.membership, distribution=open_one, lines={lentils: 1})
    return {
        "shop": shop,
        "open": open_one,
        "closed": closed,
        "validated": validated,
        "awa": awa.membership,
        "awa_order": awa_order,
        "lentils": lentils,
        "rice": rice,
    }


def form_with_errors(path: str, submit: str) -> Callable[[Page, dict], None]:
    """A form sent empty (its required fields cleared), so it comes back with its errors."""

    def act(page: Page, data: dict) -> None:
        page.goto(path)
        form = page.get_by_role("button", name=submit).locator("xpath=ancestor::form")
        form.evaluate(
            "f => { f.noValidate = true;"
            " f.querySelectorAll('input[required], textarea[required]')"
            ".forEach(el => { el.value = ''; }); }"
        )
        form.get_by_role("button", name=submit).click()
        page.wait_for_load_state()

    return act


def visit(path: str) -> Callable[[Page, dict], None]:
    """Go to ``path``, whose fields name the grocery's objects (``{closed.pk}``)."""

    def act(page: Page, data: dict) -> None:
        page.goto(path.format(**data))

    return act


def refused_quantity(page: Page, data: dict) -> None:
    page.goto(f"/port/commander/{data['open'].pk}/")
    page.get_by_label("Quantité de Riz", exact=True).fill("9")
    page.get_by_role("button", name="Ajouter Riz", exact=True).click()
    expect(page.locator("#cart-alert")).not_to_be_empty()


def refused_quantity_without_javascript(page: Page, data: dict) -> None:
    """The same refusal as a browser without JavaScript sends it (the row's button, no
    HX-Request): the ordering page comes back, the row's field marked."""
    page.goto(f"/port/commander/{data['open'].pk}/")
    rice = data["rice"].pk
    with page.expect_navigation():
        # form.submit() fires no submit event: htmx lets the browser post the form itself.
        page.locator("#order-products").evaluate(
            "(form, pk) => { form.elements['quantity-' + pk].value = '9';"
            " const row = document.createElement('input');"
            " row.type = 'hidden'; row.name = 'product'; row.value = pk;"
            " form.append(row); form.submit(); }",
            rice,
        )
    expect(page.locator(f"#quantity-{rice}")).to_have_attribute("aria-invalid", "true")


SAVE = "Enregistrer"  # the forms' submit button

# The states no link reaches: (name, role, how to get there).
STATES: list[tuple[str, str, Callable[[Page, dict], None]]] = [
    ("product form with errors", "manager", form_with_errors("/port/produits/nouveau/", SAVE)),
    (
        "distribution form with errors",
        "manager",
        form_with_errors("/port/distributions/nouvelle/", SAVE),
    ),
    # Awa has ordered: the ordering page is reached by a button (a form), not by a link.
    ("ordering page", "beneficiary", visit("/port/commander/{open.pk}/")),
    ("refused quantity", "beneficiary", refused_quantity),
    # "with errors": its title must start with "Erreur :" too.
    (
        "ordering page with errors, without JavaScript",
        "beneficiary",
        refused_quantity_without_javascript,
    ),
    # Pages the walk reaches only for one distribution among several (it audits one per route).
    ("validating", "manager", visit("/port/distributions/{closed.pk}/valider/")),
    ("a closed distribution", "manager", visit("/port/distributions/{closed.pk}/")),
    ("a distribution's report", "manager", visit("/port/rapports/distributions/{validated.pk}/")),
    ("a household's statement", "manager", visit("/port/rapports/beneficiaires/{awa.pk}/")),
    ("cancelling an order", "beneficiary", visit("/port/mes-commandes/{awa_order.pk}/annuler/")),
]


@pytest.mark.slow
def test_every_page_of_both_roles_passes_axe_at_desktop_and_phone_widths(
    page, live_server, settings, escarcelle
):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    data = grocery(escarcelle)
    titles: dict[str, str] = {}

    # Signing in, then signing in wrong (an error state).
    page.goto("/compte/connexion/")
    problems = audit(page, "sign-in")
    sign_in(page, "gestion@port.example", "mauvais")
    expect(page.get_by_text("E-mail ou mot de passe incorrect")).to_be_visible()
    problems += audit(page, "sign-in refused")
    if not page.title().startswith("Erreur :"):
        problems.append(f"sign-in refused: title without 'Erreur :': {page.title()!r}")
    page.goto("/compte/mot-de-passe/oublie/")
    problems += audit(page, "password reset")

    # Each role walks from its home (the operators, staff, from the fleet) and must reach a
    # known page of its own.
    make_staff(email="ops@epiclic.example")
    walks = [
        ("manager", "gestion@port.example", "/port/", "/port/stocks/"),
        ("beneficiary", "awa@port.example", "/port/", "/port/mes-commandes/"),
        ("staff", "ops@epiclic.example", "/operateur/", "/operateur/epiceries/port/"),
    ]
    for role, email, home, reached in walks:
        page.context.clear_cookies()
        sign_in(page, email, PASSWORD)
        page.wait_for_load_state()
        routes: set[str] = set()
        problems += walk(page, home, titles, routes)
        assert reached in routes, routes
        for name, state_role, act in STATES:
            if state_role == role:
                act(page, data)
                problems += audit(page, name)
                if "with errors" in name and not page.title().startswith("Erreur :"):
                    problems.append(f"{name}: title without 'Erreur :': {page.title()!r}")
    assert not problems, "\n".join(problems)


def ordering_page() -> tuple[str, int]:
    """A beneficiary, Awa, signed in nowhere yet, and an open distribution of three products."""
    shop = make_shop(name="Épicerie du Port", slug="port")
    lentils = make_product(shop=shop, name="Lentilles vertes", price="2.40", stock="5")
    products = [
        lentils,
        make_product(shop=shop, name="Riz", price="1.90", stock="1"),
        *(make_product(shop=shop, name=f"Conserve {n}", category="Conserves") for n in range(12)),
    ]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    make_beneficiary(shop=shop, user=make_user(email="awa@port.example"), participation_rate="50")
    return f"/port/commander/{distribution.pk}/", lentils.pk


def awa_opens(page: Page, path: str) -> None:
    """Awa signs in (she lands on her grocery's distributions) and opens ``path``."""
    sign_in(page, "awa@port.example", PASSWORD)
    page.wait_for_url("**/port/commander/")
    page.goto(path)


def tab_until(page: Page, is_there: str, limit: int) -> int:
    """Tab presses until ``is_there`` (a JS expression on ``el``, the focused element) holds."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {is_there}; }})()"):
            return presses
    raise AssertionError(f"not reached in {limit} Tab presses: {is_there}")


@pytest.mark.slow
def test_a_beneficiary_orders_with_the_keyboard_only(page):
    path, lentils = ordering_page()
    awa_opens(page, path)
    status = page.locator("#cart-status")

    # Find the product with the search, add it: Tab, typing and Enter only.
    tab_until(page, "el.type === 'search'", 20)
    page.keyboard.type("lentilles")
    tab_until(page, f"el.id === 'quantity-{lentils}'", 30)
    page.keyboard.press("Backspace")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Lentilles vertes : 2 dans le panier, total 2,40 €")
    # The row was swapped with the cart's answer: the focus is still in its field.
    assert page.evaluate("document.activeElement.id") == f"quantity-{lentils}"

    # Change the quantity from the same field.
    page.keyboard.press("Backspace")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Lentilles vertes : 3 dans le panier, total 3,60 €")
    assert page.evaluate("document.activeElement.id") == f"quantity-{lentils}"

    # From the top of the page, the cart is a few Tab presses away (the skip link).
    page.reload()
    presses = tab_until(page, "el.matches('a.skip-link[href=\"#cart\"]')", 5)
    page.keyboard.press("Enter")
    presses += tab_until(page, "el.textContent.trim() === 'Confirmer ma commande'", 30 - presses)
    assert presses <= 30
    page.keyboard.press("Enter")
    page.wait_for_url("**/port/mes-commandes/")
    expect(page.get_by_text("Votre commande est confirmée.")).to_be_visible()
    expect(page.get_by_text("Lentilles vertes")).to_be_visible()


def test_the_status_region_stays_and_announces_each_cart_change(page):
    path, lentils = ordering_page()
    awa_opens(page, path)
    # A mark on the node itself: a region replaced by htmx would lose it (and go unheard).
    page.evaluate("document.getElementById('cart-status').epiclicMark = 'same node'")
    status = page.locator("#cart-status")
    assert status.get_attribute("role") == "status"

    page.get_by_role("button", name="Ajouter Lentilles vertes", exact=True).click()
    expect(status).to_have_text("Lentilles vertes : 1 dans le panier, total 1,20 €")
    page.get_by_label("Quantité de Riz", exact=True).fill("4")
    page.get_by_role("button", name="Ajouter Riz", exact=True).click()

    # Refused: said in the alert region, tied to the field, which shows the cart's quantity.
    alert = page.locator("#cart-alert")
    expect(alert).to_contain_text("Riz")
    field = page.get_by_label("Quantité de Riz", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    error_id = field.get_attribute("aria-describedby")
    expect(page.locator(f"#{error_id}")).to_have_text(alert.text_content() or "")
    expect(field).to_have_value("1")

    page.get_by_role("button", name="Retirer Lentilles vertes").click()
    expect(status).to_have_text("Lentilles vertes : retiré du panier, total 0,00 €")
    expect(alert).to_be_empty()
    assert page.evaluate("document.getElementById('cart-status').epiclicMark") == "same node"
    # The ✕ went with the cart it was in: the focus goes to the cart's heading.
    # (after htmx's settle, a moment after the swap that filled the status region)
    page.wait_for_function("document.activeElement.id === 'cart-heading'", timeout=3000)


# The focus ring of what has the focus, measured against what is behind it (WCAG 2.4.7, and
# 1.4.11: 3:1 for what is needed to see the focus).
FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let behind = el.parentElement, bg = [0, 0, 0, 0];
  while (behind) {
    bg = rgb(getComputedStyle(behind).backgroundColor);
    if (bg.length === 3 || bg[3] > 0) break;
    behind = behind.parentElement;
  }
  if (!behind) bg = rgb(getComputedStyle(document.documentElement).backgroundColor);
  const [a, b] = [lum(rgb(style.outlineColor)), lum(bg)].sort((x, y) => y - x);
  return {what: el.tagName + (el.id ? "#" + el.id : "") + " " + (el.textContent || "").trim()
            .slice(0, 30), style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          contrast: (a + 0.05) / (b + 0.05)};
}"""


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_is_wide_and_contrasted_and_dark_mode_passes_axe(page, scheme):
    path, _lentils = ordering_page()
    shop = Shop.objects.get(slug="port")
    make_membership(shop=shop, user=make_user(email="gestion@port.example"))
    page.emulate_media(color_scheme=scheme)
    awa_opens(page, path)
    page.get_by_role("button", name="Ajouter Lentilles vertes", exact=True).click()
    expect(page.locator("#cart-status")).not_to_be_empty()
    page.reload()
    weak = []
    for _stop in range(40):  # links, the search, fields and buttons of the rows, the cart
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring["style"] == "none" or ring["width"] < 2 or ring["contrast"] < 3:
            weak.append(ring)
    assert not weak, weak
    problems = audit(page, f"ordering page ({scheme})")

    # A manager's Stocks page has low-stock rows (their colours differ in dark mode).
    page.context.clear_cookies()
    sign_in(page, "gestion@port.example", PASSWORD)
    page.goto("/port/stocks/")
    expect(page.locator("tr.low").first).to_be_visible()
    problems += audit(page, f"stocks ({scheme})")
    assert not problems, "\n".join(problems)

    # On a phone its table scrolls in a labelled region the keyboard reaches, with a hint
    # while columns are out of sight.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/port/stocks/")
    region = page.get_by_role("region", name="Stocks")
    expect(region).to_have_attribute("tabindex", "0")
    hint = page.get_by_text("Faites défiler le tableau vers la droite")
    expect(hint).to_be_visible()
    region.focus()
    page.keyboard.press("End")  # a focused scroll region scrolls with the keyboard
    for _press in range(30):
        page.keyboard.press("ArrowRight")
    expect(hint).to_be_hidden()


def test_after_saving_a_delivered_quantity_the_focus_stays_on_that_rows_field(page):
    shop = make_shop(name="Épicerie du Port", slug="port")
    make_membership(shop=shop, user=make_user(email="gestion@port.example"))
    lentils = make_product(shop=shop, name="Lentilles vertes", stock="5")
    distribution = make_distribution(shop=shop, state="closed")
    awa = make_beneficiary(shop=shop, user=make_user(first_name="Awa", last_name="Diallo"))
    order = make_order(membership=awa.membership, distribution=distribution, lines={lentils: 2})
    line = order.lines.get()
    sign_in(page, "gestion@port.example", PASSWORD)
    page.goto(f"/port/distributions/{distribution.pk}/")

    field = page.get_by_label("Quantité livrée : Lentilles vertes")
    field.focus()
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator(f"#line-{line.pk}")).to_contain_text("Enregistré")
    assert page.evaluate("document.activeElement.id") == f"delivered-{line.pk}"
    line.refresh_from_db()
    assert line.delivered_quantity == Decimal("1")
