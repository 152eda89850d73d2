"""Preparation documents of a distribution: bag sheets, picking list, sign-off sheet, exports."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from distributions.models import Order
from distributions.services import distribution_validate, order_line_deliver
from tests.factories import (
    make_beneficiary,
    make_distribution,
    make_order,
    make_product,
    make_slot,
    make_user,
)

KINDS = ("sacs", "preparation", "emargement")


def _url(name: str, distribution, **kwargs) -> str:
    return reverse(
        f"distributions:{name}",
        kwargs={"shop_slug": distribution.shop.slug, "pk": distribution.pk, **kwargs},
    )


@pytest.fixture
def prepared(shop):
    """A closed distribution: Zoé Martin (30 %) and Alice Bernard (10 %), three products."""
    rice = make_product(shop=shop, name="Riz basmati", price="2.00", category="Épicerie")
    milk = make_product(shop=shop, name="Lait demi-écrémé", price="1.00", category="Frais")
    apples = make_product(shop=shop, name="Pommes", price="3.00", category="Fruits", unit="kg")
    zoe = make_beneficiary(
        shop=shop,
        user=make_user(first_name="Zoé", last_name="Martin"),
        participation_rate="30",
        card_number="C-042",
    )
    alice = make_beneficiary(
        shop=shop, user=make_user(first_name="Alice", last_name="Bernard"), participation_rate="10"
    )
    distribution = make_distribution(shop=shop, state="closed")
    make_order(membership=zoe.membership, distribution=distribution, lines={rice: 2, milk: 3})
    make_order(
        membership=alice.membership, distribution=distribution, lines={rice: 1, apples: "1.5"}
    )
    return distribution


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("name", ["document", "document_pdf"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_document_is_guarded(check_tenancy, prepared, name, kind):
    check_tenancy(_url(name, prepared, kind=kind))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_lines_export_is_guarded(check_tenancy, prepared, fmt):
    check_tenancy(_url("lines_export", prepared, fmt=fmt))


def test_another_shops_distribution_id_answers_404(manager_client, other_shop):
    theirs = make_distribution(shop=other_shop, state="closed")
    for kind in KINDS:
        assert manager_client.get(_url("document_pdf", theirs, kind=kind)).status_code == 404
    assert manager_client.get(_url("lines_export", theirs, fmt="csv")).status_code == 404


def test_an_unknown_document_answers_404(manager_client, prepared):
    assert manager_client.get(_url("document", prepared, kind="factures")).status_code == 404
    assert manager_client.get(_url("lines_export", prepared, fmt="ods")).status_code == 404


def test_documents_wait_until_orders_are_closed(manager_client, shop):
    distribution = make_distribution(shop=shop, state="open")
    response = manager_client.get(_url("document", distribution, kind="sacs"), follow=True)
    assert "une fois les commandes fermées" in response.content.decode()


def test_the_distribution_page_links_to_its_documents(manager_client, prepared):
    page = manager_client.get(_url("detail", prepared)).content.decode()
    for kind in KINDS:
        assert _url("document_pdf", prepared, kind=kind) in page
    assert _url("lines_export", prepared, fmt="xlsx") in page


def test_bag_sheets_list_each_order_sorted_by_name_with_its_amount(manager_client, prepared):
    page = manager_client.get(_url("document", prepared, kind="sacs")).content.decode()
    # Alice Bernard before Zoé Martin; 2 × 0,60 + 3 × 0,30 = 2,10 €; 0,20 + 1,5 × 0,30 = 0,65 €.
    assert page.index("Alice Bernard") < page.index("Zoé Martin")
    assert "C-042" in page
    assert "2,10\u00a0€" in page
    assert "0,65\u00a0€" in page
    assert "break-after: page" in page


def test_bag_sheets_pdf_contains_names_and_quantities(manager_client, prepared):
    response = manager_client.get(_url("document_pdf", prepared, kind="sacs"))
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Alice Bernard" in text and "Zoé Martin" in text
    assert "Riz basmati" in text and "1,5" in text or "1.5" in text
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 2  # one order per page


def test_after_validation_the_sheets_show_delivered_quantities(manager_client, prepared, manager):
    line = prepared.orders.get(membership__user__last_name="Martin").lines.get(
        product__name="Lait demi-écrémé"
    )
    order_line_deliver(line=line, delivered_quantity=Decimal("1"))
    distribution_validate(distribution=prepared, user=manager)
    text = _pdf_text(manager_client.get(_url("document_pdf", prepared, kind="sacs")).content)
    assert "commandé 3" in text
    # Zoé pays for what she got: 2 × 0,60 + 1 × 0,30 = 1,50 €.
    assert "1,50\u00a0€" in text
    picking = manager_client.get(_url("document", prepared, kind="preparation")).content.decode()
    assert "Livré" in picking


def test_picking_list_groups_products_by_category(manager_client, prepared):
    page = manager_client.get(_url("document", prepared, kind="preparation")).content.decode()
    assert page.index("Frais") < page.index("Lait demi-écrémé") < page.index("Fruits")
    assert page.index("Épicerie") < page.index("Riz basmati")
    text = _pdf_text(manager_client.get(_url("document_pdf", prepared, kind="preparation")).content)
    assert "Riz basmati" in text and "Pommes" in text


def test_sign_off_sheet_has_one_line_per_beneficiary_and_the_total(manager_client, prepared):
    text = _pdf_text(manager_client.get(_url("document_pdf", prepared, kind="emargement")).content)
    assert "Alice Bernard" in text and "Zoé Martin" in text and "Signature" in text
    assert "2,75\u00a0€" in text


def test_a_distribution_without_orders_says_so(manager_client, shop):
    distribution = make_distribution(shop=shop, state="closed")
    for kind in KINDS:
        page = manager_client.get(_url("document", distribution, kind=kind)).content.decode()
        assert "Aucune commande pour cette distribution" in page
    text = _pdf_text(manager_client.get(_url("document_pdf", distribution, kind="sacs")).content)
    assert "Aucune commande" in text


def test_lines_export_as_french_csv(manager_client, prepared):
    response = manager_client.get(_url("lines_export", prepared, fmt="csv"))
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Bénéficiaire" and len(rows) == 5
    apples = next(r for r in rows if r[4] == "Pommes")
    assert apples[0] == "Alice Bernard"
    assert apples[8] == "1,5" and apples[12] == "0,30" and apples[13] == "0,45"


def test_lines_export_as_xlsx(manager_client, prepared):
    response = manager_client.get(_url("lines_export", prepared, fmt="xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Bénéficiaire" and len(rows) == 5
    assert sum(Decimal(str(r[13])) for r in rows[1:]) == Decimal("2.75")


@pytest.fixture
def by_slot(shop):
    """A closed distribution with two slots (the later one made first) and an order without
    one: Marc Morin at 10:00 takes lentils, Anne Zola at 10:30 rice, Éva Roux (no slot) pasta."""
    distribution = make_distribution(shop=shop, state="closed")
    late = make_slot(distribution=distribution, start=datetime.timedelta(minutes=30))
    early = make_slot(distribution=distribution)
    people = [
        ("Anne", "Zola", late, "Riz rond"),
        ("Éva", "Roux", None, "Pâtes"),
        ("Marc", "Morin", early, "Lentilles"),
    ]
    for first, last, slot, product in people:
        order = make_order(
            membership=make_beneficiary(
                shop=shop, user=make_user(first_name=first, last_name=last)
            ).membership,
            distribution=distribution,
            lines={make_product(shop=shop, name=product, category="Épicerie"): 1},
        )
        Order.objects.filter(pk=order.pk).update(slot=slot)
    return distribution


def _in_order(text: str, *parts: str) -> bool:
    """``parts`` appear in ``text`` one after the other."""
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def test_the_picking_list_goes_slot_by_slot_with_orders_without_a_slot_last(
    manager_client, by_slot
):
    page = manager_client.get(_url("document", by_slot, kind="preparation")).content.decode()
    # By name alone: Lentilles, Pâtes, Riz rond. Slot by slot: 10:00, 10:30, then no slot.
    assert _in_order(page, "Créneau", "Lentilles", "Créneau", "Riz rond", "Sans créneau", "Pâtes")
    assert page.count("<h2>Créneau") == 2
    text = _pdf_text(manager_client.get(_url("document_pdf", by_slot, kind="preparation")).content)
    assert _in_order(text, "Lentilles", "Riz rond", "Sans créneau", "Pâtes")


def test_the_sign_off_sheet_goes_slot_by_slot_with_orders_without_a_slot_last(
    manager_client, by_slot
):
    page = manager_client.get(_url("document", by_slot, kind="emargement")).content.decode()
    assert _in_order(
        page, "Créneau", "Marc Morin", "Créneau", "Anne Zola", "Sans créneau", "Éva Roux"
    )
    text = _pdf_text(manager_client.get(_url("document_pdf", by_slot, kind="emargement")).content)
    assert _in_order(text, "Marc Morin", "Anne Zola", "Sans créneau", "Éva Roux")


def test_without_slots_the_sheets_have_no_slot_headings(manager_client, prepared):
    for kind in ("preparation", "emargement"):
        page = manager_client.get(_url("document", prepared, kind=kind)).content.decode()
        assert "Créneau" not in page and "Sans créneau" not in page
