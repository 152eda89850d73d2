from __future__ import annotations

from catalog import demo
from catalog.models import Catalogue, Product
from tests.factories import make_shop


def test_the_demo_seeds_products_and_two_catalogues_holding_most_of_them(db):
    shop = make_shop()
    demo.seed(shop)
    products = Product.objects.filter(shop=shop)
    assert products.count() >= 25
    assert {c.name for c in Catalogue.objects.filter(shop=shop)} == {"Épicerie", "Frais"}
    in_catalogue = products.filter(catalogues__isnull=False).distinct().count()
    assert in_catalogue > products.count() * 0.8
    assert set(products.values_list("vat_rate", flat=True)) >= {5.5, 20}
