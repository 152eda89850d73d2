"""French order for names, the same whatever the database compares."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Product
from distributions.selectors import distribution_summary
from epiclic.collation import collated, collated_page
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_order,
    make_product,
)

NAMES = ["Pâtes", "Œufs", "Crème", "Éponges", "Céréales", "Zeste", "oignons", "Abricots"]
FRENCH = ["Abricots", "Céréales", "Crème", "Éponges", "Œufs", "oignons", "Pâtes", "Zeste"]


def test_names_sort_in_french_order_not_byte_order():
    assert collated(NAMES, key=str) == FRENCH
    assert collated(NAMES, key=str, reverse=True) == FRENCH[::-1]


def test_accents_and_case_only_break_ties():
    assert collated(["Côte", "cote", "Cote"], key=str) == ["Cote", "Côte", "cote"]


def test_a_page_holds_the_rows_of_its_place_in_french_order(shop):
    for name in NAMES:
        make_product(shop=shop, name=name)
    qs = Product.objects.filter(shop=shop)
    first = collated_page(qs, field="name", number=1, per_page=3)
    second = collated_page(qs, field="name", number="2", per_page=3)
    assert [p.name for p in first.object_list] == FRENCH[:3]
    assert [p.name for p in second.object_list] == FRENCH[3:6]
    assert first.paginator.count == len(NAMES) and second.has_next()


def test_the_product_list_sorts_in_french_order_both_ways(manager_client, shop):
    for name in NAMES:
        make_product(shop=shop, name=name)
    page = reverse("catalog:products", kwargs={"shop_slug": shop.slug})
    html = manager_client.get(page).content.decode()
    assert [html.index(name) for name in FRENCH] == sorted(html.index(name) for name in FRENCH)
    html = manager_client.get(page, {"sort": "-name"}).content.decode()
    backwards = FRENCH[::-1]
    assert [html.index(n) for n in backwards] == sorted(html.index(n) for n in backwards)


@pytest.mark.parametrize("view", ["catalog:catalogue", "catalog:catalogue_add"])
def test_catalogue_pages_sort_in_french_order(manager_client, shop, view):
    catalogue = make_catalogue(
        shop=shop, products=[make_product(shop=shop, name=name) for name in NAMES]
    )
    page = reverse(view, kwargs={"shop_slug": shop.slug, "pk": catalogue.pk})
    html = manager_client.get(page).content.decode()
    assert [html.index(name) for name in FRENCH] == sorted(html.index(name) for name in FRENCH)


def test_the_distribution_summary_lists_products_in_french_order(shop):
    distribution = make_distribution(shop=shop)
    make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={make_product(shop=shop, name=name): 1 for name in NAMES},
    )
    _by_beneficiary, by_product = distribution_summary(distribution=distribution)
    assert [row.product.name for row in by_product] == FRENCH
