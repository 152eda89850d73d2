from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Product, StockSource
from catalog.rules import gtin_is_valid
from tests.factories import make_catalogue, make_order_line, make_product


def url(shop, name: str, **kwargs) -> str:
    return reverse(f"catalog:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def names(response) -> list[str]:
    return [p.name for p in response.context["page"].object_list]


def valid_form(**overrides) -> dict:
    data = {
        "name": "Riz basmati",
        "ref": "RIZ-1",
        "barcode": "",
        "category": "Épicerie",
        "description": "",
        "unit": "kg",
        "unit_quantity": "1",
        "price": "2,99",
        "vat_rate": "5.5",
        "stock_source": "manual",
        "stock": "12",
    }
    return {**data, **overrides}


# --- the list -----------------------------------------------------------------------------


def test_every_product_page_is_guarded_by_shop_and_role(check_tenancy, shop):
    product = make_product(shop=shop)
    check_tenancy(url(shop, "products"))
    check_tenancy(url(shop, "product_create"))
    check_tenancy(url(shop, "product_edit", pk=product.pk))
    check_tenancy(url(shop, "product_delete", pk=product.pk))
    check_tenancy(url(shop, "product_toggle", pk=product.pk), method="post")


def test_a_product_of_another_shop_is_404_even_under_the_managers_own_shop(
    manager_client, shop, other_shop
):
    product = make_product(shop=other_shop)
    assert manager_client.get(url(shop, "product_edit", pk=product.pk)).status_code == 404
    response = manager_client.post(url(shop, "product_toggle", pk=product.pk))
    assert response.status_code == 404
    product.refresh_from_db()
    assert product.active


def test_the_list_shows_only_the_shops_products_sorted_by_name(manager_client, shop, other_shop):
    make_product(shop=shop, name="Sucre")
    make_product(shop=shop, name="Café")
    make_product(shop=other_shop, name="Autre épicerie")
    response = manager_client.get(url(shop, "products"))
    assert names(response) == ["Café", "Sucre"]
    response = manager_client.get(url(shop, "products"), {"sort": "-name"})
    assert names(response) == ["Sucre", "Café"]


def test_search_matches_name_ref_and_barcode(manager_client, shop):
    make_product(shop=shop, name="Lentilles vertes", ref="LEN-1")
    make_product(shop=shop, name="Riz", ref="RIZ-9", barcode="3017620422003")
    make_product(shop=shop, name="Farine", ref="FAR-2")
    get = lambda q: names(manager_client.get(url(shop, "products"), {"q": q}))  # noqa: E731
    assert get("lentil") == ["Lentilles vertes"]
    assert get("far-2") == ["Farine"]
    assert get("30176204") == ["Riz"]


def test_filters_active_catalogue_photo_and_stock_source(manager_client, shop):
    in_cat = make_product(shop=shop, name="Dans un catalogue", photo="x.jpg")
    make_product(shop=shop, name="Inactif", active=False, photo="y.jpg")
    make_product(
        shop=shop, name="Escarcelle", stock_source=StockSource.ESCARCELLE, escarcelle_id="E1"
    )
    make_catalogue(shop=shop, products=[in_cat])
    get = lambda **f: names(manager_client.get(url(shop, "products"), f))  # noqa: E731
    assert get() == ["Dans un catalogue", "Escarcelle", "Inactif"]
    assert get(status="active") == ["Dans un catalogue", "Escarcelle"]
    assert get(status="inactive") == ["Inactif"]
    assert get(catalogue="in") == ["Dans un catalogue"]
    assert get(catalogue="out") == ["Escarcelle", "Inactif"]
    assert get(photo="without") == ["Escarcelle"]
    assert get(source="escarcelle") == ["Escarcelle"]
    assert get(source="manual") == ["Dans un catalogue", "Inactif"]


def test_the_list_flags_missing_photo_inactive_and_escarcelle(manager_client, shop):
    make_product(shop=shop, name="Lié", escarcelle_id="E-42", photo="a.jpg", active=False)
    html = manager_client.get(url(shop, "products")).content.decode()
    assert "sans photo" not in html
    assert "inactif" in html and ">Escarcelle</span>" in html
    make_product(shop=shop, name="Sans photo")
    assert "sans photo" in manager_client.get(url(shop, "products")).content.decode()


def test_the_list_paginates_by_fifty(manager_client, shop):
    Product.objects.bulk_create(
        [Product(shop=shop, name=f"P{i:03d}", ref=f"R{i}", price=1) for i in range(120)]
    )
    page3 = manager_client.get(url(shop, "products"), {"page": 3})
    assert len(page3.context["page"].object_list) == 20
    assert names(page3)[0] == "P100"


def test_the_list_runs_the_same_number_of_queries_for_10_or_200_products(
    manager_client, shop, django_assert_num_queries
):
    catalogue = make_catalogue(shop=shop)

    def create(n: int) -> None:
        Product.objects.filter(shop=shop).delete()
        Product.objects.bulk_create(
            [Product(shop=shop, name=f"P{i}", ref=f"R{i}", price=1) for i in range(n)]
        )
        catalogue.products.set(Product.objects.filter(shop=shop)[: n // 2])

    counts = []
    for n in (10, 200):
        create(n)
        with CaptureQueriesContext(connection) as ctx:
            response = manager_client.get(url(shop, "products"))
        assert len(response.context["page"].object_list) == min(n, 50)
        counts.append(len(ctx))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[1]):
        manager_client.get(url(shop, "products"), {"q": "P1", "status": "active"})


def test_htmx_filter_requests_get_only_the_table(manager_client, shop):
    make_product(shop=shop, name="Riz")
    response = manager_client.get(
        url(shop, "products"), {"q": "riz"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="product-table"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="product-table">')
    assert "<html" not in html and "Riz" in html


def test_the_import_export_menu_links_to_csv_and_escarcelle_imports(manager_client, shop):
    html = manager_client.get(url(shop, "products")).content.decode()
    assert '<details class="dropdown"' in html
    assert url(shop, "product_export") in html and url(shop, "csv_import") in html
    assert reverse("escarcelle:import_products", kwargs={"shop_slug": shop.slug}) in html


# --- create / edit ------------------------------------------------------------------------


def test_gtin_check_digits():
    assert gtin_is_valid("3017620422003")  # EAN-13
    assert gtin_is_valid("96385074")  # EAN-8
    assert gtin_is_valid("036000291452")  # GTIN-12 (UPC-A)
    assert gtin_is_valid("10012345678902")  # GTIN-14
    assert not gtin_is_valid("3017620422004")
    assert not gtin_is_valid("12345678901234")
    assert not gtin_is_valid("12345")
    assert not gtin_is_valid("301762042200a")
    assert not gtin_is_valid("３０１７６２０４２２００３")  # full-width digits


def test_a_manager_creates_a_product_with_a_comma_price(manager_client, shop):
    response = manager_client.post(url(shop, "product_create"), valid_form(price="2,99"))
    assert response.status_code == 302
    product = Product.objects.get(shop=shop, ref="RIZ-1")
    assert product.price == Decimal("2.99")
    assert product.vat_rate == Decimal("5.5")
    assert product.stock == Decimal("12")


@pytest.mark.parametrize("barcode", ["036000291452", "10012345678902"])
def test_gtin_12_and_14_barcodes_are_accepted_by_the_form(manager_client, shop, barcode):
    response = manager_client.post(url(shop, "product_create"), valid_form(barcode=barcode))
    assert response.status_code == 302
    assert Product.objects.get(shop=shop, ref="RIZ-1").barcode == barcode


def test_a_bad_barcode_is_refused_with_a_french_message(manager_client, shop):
    response = manager_client.post(url(shop, "product_create"), valid_form(barcode="3017620422004"))
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("price", "-1"), ("price", "deux euros"), ("vat_rate", "7"), ("unit", "boîte")],
)
def test_invalid_values_are_refused(manager_client, shop, field, value):
    response = manager_client.post(url(shop, "product_create"), valid_form(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Product.objects.exists()


def test_a_ref_already_used_in_the_shop_is_refused(manager_client, shop):
    make_product(shop=shop, ref="RIZ-1")
    response = manager_client.post(url(shop, "product_create"), valid_form())
    assert "ref" in response.context["form"].errors


def test_editing_keeps_the_vat_rate_selected_and_saves_changes(manager_client, shop):
    product = make_product(shop=shop, vat_rate=Decimal("20"), escarcelle_id="ESC-7")
    product.refresh_from_db()
    response = manager_client.get(url(shop, "product_edit", pk=product.pk))
    html = response.content.decode()
    assert '<option value="20" selected>' in html
    assert "ESC-7" in html  # the Escarcelle binding, read-only
    response = manager_client.post(
        url(shop, "product_edit", pk=product.pk),
        valid_form(name="Riz rond", price="3,10", vat_rate="20"),
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.price, product.escarcelle_id) == (
        "Riz rond",
        Decimal("3.10"),
        "ESC-7",
    )


def test_the_form_shows_figures_as_a_french_reader_types_them_and_saves_them_back(
    manager_client, shop
):
    product = make_product(
        shop=shop, price="2.50", unit="kg", unit_quantity=Decimal("0.500"), stock=Decimal("10")
    )
    product.refresh_from_db()
    html = manager_client.get(url(shop, "product_edit", pk=product.pk)).content.decode()
    for name, value in (("price", "2,50"), ("unit_quantity", "0,5"), ("stock", "10")):
        tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', html).group(0)
        assert f'value="{value}"' in tag
    posted = valid_form(price="2,50", unit_quantity="0,5", stock="10", unit="kg")
    assert manager_client.post(url(shop, "product_edit", pk=product.pk), posted).status_code == 302
    product.refresh_from_db()
    assert (product.price, product.unit_quantity) == (Decimal("2.50"), Decimal("0.5"))


def test_deactivate_then_reactivate(manager_client, shop):
    product = make_product(shop=shop)
    manager_client.post(url(shop, "product_toggle", pk=product.pk))
    product.refresh_from_db()
    assert not product.active
    manager_client.post(url(shop, "product_toggle", pk=product.pk))
    product.refresh_from_db()
    assert product.active


def test_a_product_never_ordered_can_be_deleted(manager_client, shop):
    product = make_product(shop=shop)
    assert (
        "Supprimer" in manager_client.get(url(shop, "product_edit", pk=product.pk)).content.decode()
    )
    response = manager_client.post(url(shop, "product_delete", pk=product.pk))
    assert response.status_code == 302
    assert not Product.objects.filter(pk=product.pk).exists()


def test_a_product_with_orders_cannot_be_deleted(manager_client, shop):
    product = make_product(shop=shop)
    make_order_line(product=product)
    html = manager_client.get(url(shop, "product_edit", pk=product.pk)).content.decode()
    assert url(shop, "product_delete", pk=product.pk) not in html
    assert "figure dans des commandes" in html
    response = manager_client.post(url(shop, "product_delete", pk=product.pk), follow=True)
    assert Product.objects.filter(pk=product.pk).exists()
    assert "ne peut pas être supprimé" in response.content.decode()


def test_html_in_a_product_name_is_escaped(manager_client, shop):
    make_product(shop=shop, name="<script>alert(1)</script>")
    html = manager_client.get(url(shop, "products")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
