"""The ordering page lists categories and products in French order, the same on SQLite and
PostgreSQL (``make test`` runs this file on both)."""

from __future__ import annotations

import re

from django.urls import reverse

from distributions.offer import offer_sorted
from tests.factories import make_catalogue, make_distribution, make_product

NAMES = ["Pâtes", "Œufs", "Crème", "Éponges", "Céréales", "Zeste", "oignons", "Abricots"]
FRENCH = ["Abricots", "Céréales", "Crème", "Éponges", "Œufs", "oignons", "Pâtes", "Zeste"]


def page(client, shop, distribution) -> str:
    url = reverse(
        "distributions:order_distribution", kwargs={"shop_slug": shop.slug, "pk": distribution.pk}
    )
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def in_page_order(html: str, texts: list[str]) -> list[str]:
    return sorted(texts, key=html.index)


def test_products_of_a_category_are_in_french_order_on_the_ordering_page(beneficiary_client, shop):
    products = [make_product(shop=shop, name=name, category="Épicerie") for name in NAMES]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    html = page(beneficiary_client, shop, distribution)
    names = [f'<td class="name">{name}<' for name in FRENCH]
    assert all(name in html for name in names)
    assert in_page_order(html, names) == names


def test_categories_are_in_french_order_and_products_without_one_come_last(
    beneficiary_client, shop
):
    categories = ["Œufs et laitages", "Crème glacée", "Céréales", "Éponges et ménage", ""]
    products = [
        make_product(shop=shop, name=f"Produit {n}", category=category)
        for n, category in enumerate(categories)
    ]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    html = page(beneficiary_client, shop, distribution)
    headings = re.findall(r"<h2[^>]*>([^<]*)</h2>", html)
    expected = ["Céréales", "Crème glacée", "Éponges et ménage", "Œufs et laitages"]
    assert [h for h in headings if h in expected or h == "Autres produits"] == [
        *expected,
        "Autres produits",
    ]


def test_a_cached_list_keeps_the_french_order(beneficiary_client, shop):
    products = [make_product(shop=shop, name=name) for name in NAMES]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    first = page(beneficiary_client, shop, distribution)
    again = page(beneficiary_client, shop, distribution)
    names = [f'<td class="name">{name}<' for name in FRENCH]
    assert in_page_order(first, names) == in_page_order(again, names) == names


def test_the_order_breaks_ties_by_accents_case_then_id(shop):
    a = make_product(shop=shop, name="cote", category="Rayon")
    b = make_product(shop=shop, name="Côte", category="Rayon")
    c = make_product(shop=shop, name="Cote", category="Rayon")
    assert [p.name for p in offer_sorted([a, b, c])] == ["Cote", "Côte", "cote"]
