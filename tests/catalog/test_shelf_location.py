"""A product's shelf location: edited in its form, carried by the CSV, shown when picking."""

from __future__ import annotations

from catalog import csv_io
from catalog.models import Product
from tests.catalog.test_products import url, valid_form
from tests.factories import make_product


def test_the_product_form_saves_the_shelf_location(manager_client, shop):
    product = make_product(shop=shop, name="Riz")
    page = manager_client.get(url(shop, "product_edit", pk=product.pk)).content.decode()
    assert 'name="shelf_location"' in page and "Emplacement en rayon" in page
    response = manager_client.post(
        url(shop, "product_edit", pk=product.pk), valid_form(shelf_location="Allée 3, étagère B")
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.shelf_location == "Allée 3, étagère B"


def test_a_location_longer_than_the_field_is_refused_in_french(manager_client, shop):
    response = manager_client.post(url(shop, "product_create"), valid_form(shelf_location="x" * 51))
    assert response.status_code == 200
    assert not Product.objects.filter(shop=shop).exists()


def test_the_csv_export_has_an_emplacement_column_that_the_import_reads_back(shop):
    make_product(shop=shop, ref="R1", name="Riz", shelf_location="Allée 3")
    make_product(shop=shop, ref="R2", name="Lait")
    exported = "".join(csv_io.export_rows(Product.objects.filter(shop=shop).order_by("ref")))
    header, first, second = exported.lstrip("\ufeff").splitlines()
    assert header.split(";")[-1] == "emplacement"
    assert first.split(";")[-1] == "Allée 3" and second.split(";")[-1] == ""
    rows = list(
        csv_io.plan_rows(csv_io.read_csv(exported.encode()), csv_io.existing_products(shop))
    )
    assert [row.status for row in rows] == ["unchanged", "unchanged"]


def test_an_import_sets_the_location_and_a_file_without_the_column_keeps_it(shop):
    make_product(shop=shop, ref="R1", name="Riz", price="2.00", shelf_location="Allée 3")
    with_column = "ref;nom;prix_ttc;Emplacement en rayon\nR1;Riz;2,00;Allée 5\nR9;Thé;1,00;B2\n"
    rows = list(
        csv_io.plan_rows(
            csv_io.read_csv(with_column.encode()),
            csv_io.existing_products(shop),
        )
    )
    assert [row.status for row in rows] == ["changed", "new"]
    assert [(change.field, change.new) for change in rows[0].diff] == [
        ("shelf_location", "Allée 5")
    ]
    assert rows[1].values["shelf_location"] == "B2"
    without = "ref;nom;prix_ttc\nR1;Riz;2,00\n"
    parsed = csv_io.read_csv(without.encode())
    rows = list(csv_io.plan_rows(parsed, csv_io.existing_products(shop, parsed.columns)))
    assert [row.status for row in rows] == ["unchanged"]
