"""Without JavaScript, a refused quantity answers the ordering page itself (RGAA 11.10/11.11):
status 400, "Erreur :" first in the title, the message at the top, and each field the refusal
concerns marked invalid and described by the message under it, showing what the cart keeps.
The htmx answers are in test_order_accessibility.py and test_ordering_views.py."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_beneficiary, make_catalogue, make_distribution, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(shop):
    return [
        make_product(shop=shop, name="Lentilles vertes", price="2.00", stock="3"),
        make_product(shop=shop, name="Riz", price="2.00", stock="5"),
        make_product(shop=shop, name="Pâtes", price="2.00", stock="5"),
    ]


@pytest.fixture
def distribution(shop, products):
    return make_distribution(shop=shop, catalogues=[make_catalogue(shop=shop, products=products)])


def url(name: str, distribution) -> str:
    return reverse(
        f"distributions:{name}",
        kwargs={"shop_slug": distribution.shop.slug, "pk": distribution.pk},
    )


def field(page: str, product) -> str:
    found = re.search(rf'<input name="quantity-{product.pk}"[^>]*>', page)
    assert found, f"no field for {product.name}"
    return found.group(0)


def assert_marked(page: str, product, message: str, value: str) -> None:
    """The field is invalid, shows ``value`` and is described by an element saying ``message``."""
    tag = field(page, product)
    assert 'aria-invalid="true"' in tag and f'value="{value}"' in tag, tag
    described = re.search(r'aria-describedby="([^"]+)"', tag)
    assert described, tag
    said = re.search(rf'id="{described.group(1)}">([^<]*)<', page)
    assert said and html.unescape(said.group(1)) == message


def top_message(page: str) -> str:
    found = re.search(r'<ul class="messages">.*?<span role="alert">([^<]*)</span>', page, re.S)
    assert found, "no message at the top"
    return html.unescape(found.group(1))


def title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found
    return found.group(1).strip()


def test_a_rows_refused_quantity_comes_back_marked_on_its_field_with_the_carts_quantity(
    beneficiary_client, distribution, products
):
    lentils = products[0]
    cart = url("cart", distribution)
    beneficiary_client.post(cart, {"product": lentils.pk, f"quantity-{lentils.pk}": "2"})
    response = beneficiary_client.post(cart, {"product": lentils.pk, f"quantity-{lentils.pk}": "9"})
    assert response.status_code == 400
    page = response.content.decode()
    message = top_message(page)
    assert message == "Lentilles vertes : il n'en reste que 3, vous en demandez 9."
    assert_marked(page, lentils, message, value="2")
    assert title(page).startswith("Erreur :")
    # Only the refused row is marked, and nothing was saved.
    assert "aria-invalid" not in field(page, products[1])
    assert f"panier-{distribution.pk}" not in response.cookies
    # The page as usual afterwards: no mark, no "Erreur", the message not shown twice.
    again = beneficiary_client.get(url("order_distribution", distribution)).content.decode()
    assert "aria-invalid" not in again and not title(again).startswith("Erreur")
    assert 'value="2"' in field(again, lentils) and "il n&#x27;en reste" not in again


def test_a_malformed_quantity_on_a_row_is_marked_on_its_field(
    beneficiary_client, distribution, products
):
    rice = products[1]
    response = beneficiary_client.post(
        url("cart", distribution), {"product": rice.pk, f"quantity-{rice.pk}": "beaucoup"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    message = top_message(page)
    assert "Indiquez une quantité en chiffres" in message
    assert_marked(page, rice, message, value="1")  # not in the cart: the field's default
    assert f"panier-{distribution.pk}" not in response.cookies


def test_enter_without_javascript_marks_the_one_product_the_rules_refuse_and_saves_nothing(
    beneficiary_client, distribution, products
):
    lentils, rice, pasta = products
    response = beneficiary_client.post(
        url("cart", distribution),
        {
            "product": "",
            f"quantity-{lentils.pk}": "9",
            f"quantity-{rice.pk}": "2",
            f"quantity-{pasta.pk}": "1",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    message = top_message(page)
    assert message.startswith("Lentilles vertes : il n'en reste que 3")
    assert_marked(page, lentils, message, value="1")
    # Rice was typed too and was acceptable, but is not the one refused: unmarked, not saved.
    assert "aria-invalid" not in field(page, rice) and 'value="1"' in field(page, rice)
    assert title(page).startswith("Erreur :")
    assert f"panier-{distribution.pk}" not in response.cookies


def test_enter_without_javascript_over_the_budget_marks_every_quantity_typed(
    shop, distribution, products
):
    lentils, rice, pasta = products
    member = make_beneficiary(shop=shop, monthly_budget="1.00")  # 30 %: 0,60 € each
    client = Client()
    client.force_login(member.membership.user)
    response = client.post(
        url("cart", distribution),
        {
            "product": "",
            f"quantity-{lentils.pk}": "1",  # as shown: not typed
            f"quantity-{rice.pk}": "2",
            f"quantity-{pasta.pk}": "3",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    message = top_message(page)
    assert "dépasse votre budget du mois" in message
    assert_marked(page, rice, message, value="1")
    assert_marked(page, pasta, message, value="1")
    assert "aria-invalid" not in field(page, lentils)
    assert f"panier-{distribution.pk}" not in response.cookies


def test_enter_without_javascript_marks_a_malformed_quantity(
    beneficiary_client, distribution, products
):
    lentils, rice, _pasta = products
    response = beneficiary_client.post(
        url("cart", distribution),
        {"product": "", f"quantity-{lentils.pk}": "2", f"quantity-{rice.pk}": "deux"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert_marked(page, rice, top_message(page), value="1")
    assert "aria-invalid" not in field(page, lentils)
    assert f"panier-{distribution.pk}" not in response.cookies


def test_the_refused_page_searches_and_reloads_on_the_ordering_page(
    beneficiary_client, distribution, products
):
    """The refused page's address is the cart's: its search and a GET there (a language
    change, a reload) lead back to the ordering page."""
    lentils = products[0]
    page = beneficiary_client.post(
        url("cart", distribution), {"product": lentils.pk, f"quantity-{lentils.pk}": "9"}
    ).content.decode()
    search = re.search(r'<form method="get"[^>]*role="search"', page)
    assert search and f'action="{url("order_distribution", distribution)}"' in search.group(0)
    response = beneficiary_client.get(url("cart", distribution))
    assert response.status_code == 302
    assert response["Location"] == url("order_distribution", distribution)


def test_a_refusal_once_orders_are_closed_still_sends_back_to_the_list(
    beneficiary_client, shop, products
):
    closed = make_distribution(
        shop=shop, state="closed", catalogues=[make_catalogue(shop=shop, products=products)]
    )
    response = beneficiary_client.post(
        url("cart", closed), {"product": products[0].pk, f"quantity-{products[0].pk}": "1"}
    )
    assert response.status_code == 302
