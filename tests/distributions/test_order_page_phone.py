"""The ordering page on a phone: one form and one CSRF token for the whole list, a search that
works without JavaScript, a jump to each category, the cart reachable from the top."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import make_catalogue, make_distribution, make_product


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"distributions:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


@pytest.fixture
def products(shop):
    return [
        make_product(shop=shop, name="Pâtes complètes", category="Épicerie", price="2.00"),
        make_product(shop=shop, name="Lentilles vertes", category="Épicerie", price="3.00"),
        make_product(shop=shop, name="Yaourt nature", category="Frais", price="1.50"),
    ]


@pytest.fixture
def distribution(shop, products):
    return make_distribution(shop=shop, catalogues=[make_catalogue(shop=shop, products=products)])


def page(client, shop, distribution, **params) -> str:
    response = client.get(url("order_distribution", shop, pk=distribution.pk), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_is_one_form_with_one_csrf_token_and_a_button_per_product(
    beneficiary_client, shop, distribution, products
):
    html = page(beneficiary_client, shop, distribution)
    section = html.split('id="order-products"')[1].split("</form>")[0]
    assert section.count("csrfmiddlewaretoken") == 1
    assert "<form" not in section  # no form per row
    for product in products:
        assert f'name="quantity-{product.pk}"' in section
        assert f'name="product" value="{product.pk}" id="add-{product.pk}"' in section


def test_a_rows_button_adds_its_own_quantity_with_and_without_htmx(
    beneficiary_client, shop, distribution, products
):
    pasta, lentils, _yoghurt = products
    everything = {f"quantity-{p.pk}": "1" for p in products}
    cart = url("cart", shop, pk=distribution.pk)
    response = beneficiary_client.post(
        cart, {**everything, f"quantity-{lentils.pk}": "3", "product": lentils.pk}
    )
    assert response.status_code == 302
    html = beneficiary_client.post(
        cart,
        {**everything, f"quantity-{pasta.pk}": "2", "product": pasta.pk},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    # The beneficiary pays 30 % of the shelf price.
    assert "3&nbsp;× 0,90\u00a0€" in html and "2&nbsp;× 0,60\u00a0€" in html
    # The summary at the top of the page follows, out of band.
    assert re.search(r'id="cart-summary"[^>]*hx-swap-oob="true"', html)
    assert "2 produits · 3,90\u00a0€" in html


def test_enter_without_javascript_saves_the_quantities_typed(
    beneficiary_client, shop, distribution, products
):
    """Enter sends the list's first button, which names no product: what differs from what
    the page showed (1 for a product not in the cart, else the cart's) is saved."""
    pasta, lentils, yoghurt = products
    cart = url("cart", shop, pk=distribution.pk)
    beneficiary_client.post(cart, {"product": yoghurt.pk, "quantity": "2"})
    shown = {f"quantity-{pasta.pk}": "1", f"quantity-{lentils.pk}": "1"}
    response = beneficiary_client.post(
        cart,
        {**shown, f"quantity-{lentils.pk}": "4", f"quantity-{yoghurt.pk}": "3", "product": ""},
    )
    assert response.status_code == 302
    html = page(beneficiary_client, shop, distribution)
    summary = html.split('id="cart-summary"')[1].split("</p>")[0]
    assert "2 produits · 4,95\xa0€" in summary  # 4 × 0,90 + 3 × 0,45; the pasta stays out


def test_enter_without_javascript_and_nothing_typed_is_explained(
    beneficiary_client, shop, distribution, products
):
    response = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk),
        {**{f"quantity-{p.pk}": "1" for p in products}, f"quantity-{products[1].pk}": ""},
        follow=True,
    )
    html = response.content.decode()
    assert "Choisissez « Ajouter » ou « Modifier » sur la ligne du produit." in html
    assert '<span class="nowrap">vide</span>' in html


def test_enter_without_javascript_is_refused_like_a_button(
    beneficiary_client, shop, distribution, products
):
    response = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk),
        {f"quantity-{products[0].pk}": "beaucoup", "product": ""},
        follow=True,
    )
    assert "Indiquez une quantité en chiffres" in response.content.decode()


def test_the_top_of_the_page_has_a_search_a_category_jump_and_the_cart(
    beneficiary_client, shop, distribution
):
    html = page(beneficiary_client, shop, distribution)
    top = html.split('id="order-products"')[0]
    assert 'role="search"' in top and 'name="q"' in top
    assert '<a href="#cart">Aller à mon panier</a>' in top
    assert '<span class="nowrap">vide</span>' in top
    jump = re.search(r'<nav class="category-jump".*?</nav>', html, re.S)
    assert jump, "no category jump"
    targets = re.findall(r'href="#(rayon-\d+)"', jump.group(0))
    assert len(targets) == 2
    for target in targets:
        assert f'id="{target}"' in html


def test_the_search_without_javascript_sends_only_the_matching_products(
    beneficiary_client, shop, distribution, products
):
    pasta, lentils, yoghurt = products
    html = page(beneficiary_client, shop, distribution, q="pates")
    assert f'name="quantity-{pasta.pk}"' in html
    assert f'name="quantity-{lentils.pk}"' not in html
    assert f'name="quantity-{yoghurt.pk}"' not in html
    assert "1 produit trouvé pour « pates »." in html
    assert 'value="pates"' in html
    # Every word counts, in any case, with or without accents.
    html = page(beneficiary_client, shop, distribution, q="VERTES lent")
    assert f'name="quantity-{lentils.pk}"' in html and f'name="quantity-{pasta.pk}"' not in html
    html = page(beneficiary_client, shop, distribution, q="chocolat")
    assert "Aucun produit ne correspond à « chocolat »." in html
    assert "Voir tous les produits" in html and "Aucun produit n&#x27;est proposé" not in html


def test_the_cart_summary_counts_and_totals(beneficiary_client, shop, distribution, products):
    beneficiary_client.post(
        url("cart", shop, pk=distribution.pk), {"product": products[2].pk, "quantity": "2"}
    )
    top = page(beneficiary_client, shop, distribution).split('id="order-products"')[0]
    assert "1 produit · 0,90\u00a0€" in top
