"""What a screen reader is told on the ordering page (without a browser: the markup the cart
sends back). The browser side — the live region kept, the focus — is in
tests/e2e/test_accessibility.py."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import make_catalogue, make_distribution, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def lentils(shop):
    return make_product(shop=shop, name="Lentilles vertes", price="2.40", stock="3")


@pytest.fixture
def cart_url(shop, lentils):
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[lentils])]
    )
    return reverse("distributions:cart", kwargs={"shop_slug": shop.slug, "pk": distribution.pk})


def post(client, url: str, product, quantity: str) -> str:
    response = client.post(
        url, {"product": product.pk, "quantity": quantity}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    return response.content.decode()


def oob(html: str, target: str) -> str:
    found = re.search(rf'<div hx-swap-oob="innerHTML:#{target}">(.*?)</div>', html, re.S)
    assert found, f"no out-of-band text for #{target}"
    return found.group(1).strip()


def test_a_cart_change_is_announced_with_the_product_quantity_and_total(
    beneficiary_client, cart_url, lentils, beneficiary
):
    html = post(beneficiary_client, cart_url, lentils, "2")
    rate_total = oob(html, "cart-status")
    assert rate_total.startswith("Lentilles vertes : 2 dans le panier, total ")
    assert rate_total.endswith("€") and oob(html, "cart-alert") == ""
    # The cart is a named region with a real heading.
    assert '<section id="cart" class="cart" aria-labelledby="cart-heading"' in html
    assert '<h2 id="cart-heading"' in html

    html = post(beneficiary_client, cart_url, lentils, "0")
    assert oob(html, "cart-status").startswith("Lentilles vertes : retiré du panier")


def test_a_refused_quantity_is_tied_to_its_field_which_shows_the_cart_quantity_again(
    beneficiary_client, cart_url, lentils
):
    post(beneficiary_client, cart_url, lentils, "2")
    html = post(beneficiary_client, cart_url, lentils, "9")
    message = oob(html, "cart-alert")
    assert message and oob(html, "cart-status") == ""
    field = re.search(rf'<input name="quantity-{lentils.pk}"[^>]*>', html)
    assert field, "the row's field comes back out of band"
    assert 'aria-invalid="true"' in field.group(0) and 'value="2"' in field.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', field.group(0))
    assert described
    assert re.search(rf'<small class="error" id="{described.group(1)}">{re.escape(message)}<', html)
    assert 'aria-label="Quantité de Lentilles vertes"' in field.group(0)

    # Accepted again: the field is no longer marked.
    html = post(beneficiary_client, cart_url, lentils, "3")
    field = re.search(rf'<input name="quantity-{lentils.pk}"[^>]*>', html)
    assert field and "aria-invalid" not in field.group(0) and 'value="3"' in field.group(0)


class HelpedForm(forms.Form):
    name = forms.CharField(help_text="Tel qu'il est écrit sur la carte.")
    kinds = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple, help_text="Aide"
    )
    remember = forms.BooleanField(required=False, help_text="Sur cet appareil seulement.")


def test_every_aria_describedby_of_the_shared_form_fields_names_a_rendered_id():
    form = HelpedForm(data={})
    html = render_to_string("_form_fields.html", {"form": form})
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    references = re.findall(r'aria-describedby="([^"]+)"', html)
    assert len(references) >= 3  # name (help + error), kinds' fieldset, remember
    for reference in references:
        for target in reference.split():
            assert target in ids, f"aria-describedby names a missing id: {target}"
    name_field = re.search(r'<input[^>]*name="name"[^>]*>', html)
    assert name_field and 'aria-invalid="true"' in name_field.group(0)
