"""Property: exporting the products then importing the export changes nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from catalog import csv_io
from catalog.models import VAT_RATES, Product, Unit
from epiclic.spreadsheets import Table, xlsx_bytes
from tests.factories import make_shop

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=30
).map(str.strip)
# Texts a spreadsheet would run as formulas (=, +, -, @) or that begin with the quote the
# export adds against them.
formula_like = st.tuples(st.sampled_from(["=", "+", "-", "@", "'", "''", "'="]), text).map(
    lambda parts: "".join(parts).strip()
)
any_text = st.one_of(text, formula_like)
product = st.fixed_dictionaries(
    {
        "name": any_text.filter(bool),
        "description": any_text,
        "category": any_text,
        "unit": st.sampled_from(Unit.values),
        "unit_quantity": st.decimals(Decimal("0.001"), Decimal("999"), places=3),
        "price": st.decimals(Decimal("0"), Decimal("9999"), places=2),
        "vat_rate": st.sampled_from(VAT_RATES),
        "active": st.booleans(),
        "stock": st.decimals(Decimal("0"), Decimal("99999"), places=3),
        "barcode": st.sampled_from(
            ["", "3017620422003", "96385074", "036000291452", "10012345678902"]
        ),
    }
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(product, min_size=1, max_size=5))
def test_an_export_imported_back_is_all_unchanged(products):
    shop = make_shop()
    Product.objects.bulk_create(
        [Product(shop=shop, ref=f"R{i}", **fields) for i, fields in enumerate(products)]
    )
    exported = "".join(csv_io.export_rows(Product.objects.filter(shop=shop))).encode()
    parsed = csv_io.read_csv(exported)
    assert parsed.errors == []
    rows = list(csv_io.plan_rows(parsed, csv_io.existing_products(shop)))
    assert [r.status for r in rows] == ["unchanged"] * len(products), [r.diff for r in rows]


def test_formula_cells_are_neutralised_in_the_csv_export_and_read_back(db):
    shop = make_shop()
    names = ['=HYPERLINK("http://evil";"x")', "+1+1", "-2+3", "@SUM(A1)", "'=déjà"]
    Product.objects.bulk_create(
        [Product(shop=shop, ref=f"R{i}", name=name, price=1) for i, name in enumerate(names)]
    )
    exported = "".join(csv_io.export_rows(Product.objects.filter(shop=shop)))
    cells = [line.split(";")[1].strip('"') for line in exported.splitlines()[1:]]
    assert all(cell.startswith("'") for cell in cells), cells
    parsed = csv_io.read_csv(exported.encode())
    read = {values["nom"] for _line, values in parsed.records()}
    assert read == set(names)


def test_a_text_beginning_with_equals_stays_text_in_the_xlsx_export():
    workbook = load_workbook(io.BytesIO(xlsx_bytes([Table("t", ["nom"], [["=1+1"]])])))
    cell = workbook.active["A2"]
    assert (cell.data_type, cell.value) == ("s", "=1+1")
