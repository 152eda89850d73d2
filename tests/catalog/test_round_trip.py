"""Property: exporting the products then importing the export changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import csv_io
from catalog.models import VAT_RATES, Product, Unit
from tests.factories import make_shop

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=30
).map(str.strip)
product = st.fixed_dictionaries(
    {
        "name": text.filter(bool),
        "description": text,
        "category": text,
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
