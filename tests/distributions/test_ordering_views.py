"""Beneficiary pages: open distributions, the cart, confirming, *Mes commandes*."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from distributions.models import Order, OrderStatus
from shops.models import Role
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_order,
    make_product,
)


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"distributions:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


@pytest.fixture
def rice(shop):
    return make_product(shop=shop, name="Riz <bio>", price="2.99", stock="5", category="Épicerie")


@pytest.fixture
def distribution(shop, rice):
    return make_distribution(shop=shop, catalogues=[make_catalogue(shop=shop, products=[rice])])


def test_every_beneficiary_page_is_guarded(check_tenancy, shop, distribution, rice, beneficiary):
    order = make_order(
        membership=beneficiary.memberships.get(), distribution=distribution, lines={rice: 1}
    )
    b = Role.BENEFICIARY
    check_tenancy(url("order", shop), role=b)
    check_tenancy(url("order_distribution", shop, pk=distribution.pk), role=b)
    check_tenancy(url("availability", shop, pk=distribution.pk), role=b)
    check_tenancy(url("my_orders", shop), role=b)
    check_tenancy(url("my_order_cancel", shop, pk=order.pk), role=b)
    post = {"role": b, "method": "post"}
    check_tenancy(
        url("cart", shop, pk=distribution.pk), data={"product": rice.pk, "quantity": "1"}, **post
    )
    check_tenancy(url("confirm", shop, pk=distribution.pk), **post)
    check_tenancy(url("my_order_change", shop, pk=order.pk), **post)


def test_the_open_distributions_are_listed(beneficiary_client, shop, distribution):
    make_distribution(shop=shop, state="closed", place="Fermée")
    html = beneficiary_client.get(url("order", shop)).content.decode()
    assert "Salle des fêtes" in html and "Fermée" not in html


def test_the_list_says_when_orders_open_next_and_which_are_already_ordered(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    opens = timezone.make_aware(datetime.datetime(2030, 3, 4, 9, 0))
    make_distribution(
        shop=shop,
        state="upcoming",
        place="Gymnase",
        orders_open_at=opens,
        orders_close_at=opens + datetime.timedelta(days=2),
        starts_at=opens + datetime.timedelta(days=3),
    )
    make_order(membership=beneficiary.memberships.get(), distribution=distribution, lines={rice: 1})
    html = beneficiary_client.get(url("order", shop)).content.decode()
    assert "Prochaines distributions" in html and "Gymnase" in html
    assert "commandes ouvertes à partir du lundi 4 mars, 09:00" in html
    assert "commande confirmée" in html and "Voir ma commande" in html


def test_an_empty_list_still_says_nothing_is_open(beneficiary_client, shop):
    html = beneficiary_client.get(url("order", shop)).content.decode()
    assert "Aucune distribution n'est ouverte" in html and "Prochaines" not in html


def test_the_page_shows_the_price_they_pay_and_the_shelf_price_struck_out(
    beneficiary_client, shop, distribution
):
    html = beneficiary_client.get(url("order_distribution", shop, pk=distribution.pk))
    html = html.content.decode()
    assert "Riz &lt;bio&gt;" in html and "<b" + "io>" not in html
    # A no-break space: the "€" never wraps alone onto the next line.
    assert "<strong>0.90\u00a0€</strong>" in html or "<strong>0,90\u00a0€</strong>" in html
    assert "<s" in html and ("2.99\u00a0€" in html or "2,99\u00a0€" in html)
    assert "Épicerie" in html


def test_a_closed_distribution_page_sends_back_to_the_list(beneficiary_client, shop):
    closed = make_distribution(shop=shop, state="closed")
    response = beneficiary_client.get(url("order_distribution", shop, pk=closed.pk))
    assert response.status_code == 302


def test_adding_with_htmx_returns_the_cart_partial_then_confirming_creates_the_order(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    response = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk),
        {"product": rice.pk, "quantity": "2"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.strip().startswith('<section id="cart"') and "1.80\u00a0€" in html.replace(",", ".")
    response = beneficiary_client.post(url("confirm", shop, pk=distribution.pk))
    assert response["Location"] == url("my_orders", shop)
    order = Order.objects.get(membership__user=beneficiary)
    assert order.lines.get().quantity == 2


def test_the_cart_partial_carries_a_summary_a_phone_can_jump_to(
    beneficiary_client, shop, distribution, rice
):
    html = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk),
        {"product": rice.pk, "quantity": "2"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'href="#cart" class="cart-jump"' in html
    assert "Mon panier : 1 produit · 1,80\u00a0€" in html


def test_a_product_in_the_cart_offers_modifier_and_the_row_follows_the_cart(
    beneficiary_client, shop, distribution, rice
):
    page = url("order_distribution", shop, pk=distribution.pk)
    escaped = rice.name.replace("<", "&lt;").replace(">", "&gt;")
    name = f'<span class="visually-hidden"> {escaped}</span>'  # "Ajouter Riz <bio>"
    assert f'id="add-{rice.pk}">Ajouter{name}<' in beneficiary_client.get(page).content.decode()
    cart = url("cart", shop, pk=distribution.pk)
    html = beneficiary_client.post(
        cart, {"product": rice.pk, "quantity": "2"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    # The row's quantity cell comes back out of band, its button saying Modifier.
    assert f'<td class="qty" id="qty-{rice.pk}" hx-swap-oob="true">' in html
    assert f'id="add-{rice.pk}">Modifier{name}<' in html
    assert f'id="add-{rice.pk}">Modifier{name}<' in beneficiary_client.get(page).content.decode()
    html = beneficiary_client.post(
        cart, {"product": rice.pk, "quantity": "0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'id="add-{rice.pk}">Ajouter{name}<' in html


def test_a_pack_of_several_pieces_reads_in_the_plural(beneficiary_client, shop):
    yoghurts = make_product(shop=shop, name="Yaourts", unit_quantity=Decimal("4"))
    one = make_product(shop=shop, name="Savon", unit_quantity=Decimal("1"))
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[yoghurts, one])]
    )
    html = beneficiary_client.get(url("order_distribution", shop, pk=distribution.pk))
    html = html.content.decode()
    assert "4 pièces</small>" in html and "1 pièce</small>" in html


def test_emptying_the_cart_of_an_existing_order_points_to_its_cancellation(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    order = make_order(
        membership=beneficiary.memberships.get(), distribution=distribution, lines={rice: 1}
    )
    html = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk),
        {"product": rice.pk, "quantity": "0"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Votre panier est vide." in html
    assert url("my_order_cancel", shop, pk=order.pk) in html


def test_an_empty_cart_has_no_summary_bar(beneficiary_client, shop, distribution):
    html = beneficiary_client.get(url("order_distribution", shop, pk=distribution.pk))
    assert "cart-jump" not in html.content.decode()


def test_a_cart_with_bad_input_explains_in_french(beneficiary_client, shop, distribution, rice):
    response = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk),
        {"product": rice.pk, "quantity": "1,5"},
        HTTP_HX_REQUEST="true",
    )
    assert "nombre entier" in response.content.decode()
    response = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk), {"product": rice.pk, "quantity": "beaucoup"}
    )
    # Without JavaScript: the ordering page again, the field marked (test_order_refused_without_js).
    assert response.status_code == 400
    assert "Indiquez une quantité en chiffres" in response.content.decode()


def test_a_refused_confirmation_keeps_the_cart_and_says_why(
    beneficiary_client, shop, distribution, rice
):
    beneficiary_client.post(
        url("cart", shop, pk=distribution.pk), {"product": rice.pk, "quantity": "5"}
    )
    # Someone else takes one meanwhile.
    make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    response = beneficiary_client.post(url("confirm", shop, pk=distribution.pk), follow=True)
    assert "il n&#x27;en reste que 4" in response.content.decode()
    assert Order.objects.count() == 1
    assert "Confirmer ma commande" in response.content.decode()  # the cart is kept


def test_adding_more_than_is_left_is_refused_at_once_and_the_cart_keeps_its_quantity(
    beneficiary_client, shop, distribution, rice
):
    cart = url("cart", shop, pk=distribution.pk)
    beneficiary_client.post(cart, {"product": rice.pk, "quantity": "2"})
    html = beneficiary_client.post(
        cart, {"product": rice.pk, "quantity": "9"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "il n&#x27;en reste que 5, vous en demandez 9" in html
    assert "2&nbsp;× 0,90\u00a0€" in html
    # On a phone the cart is far below: the bar at the bottom carries the refusal.
    assert 'class="cart-jump bad" role="button">Riz &lt;bio&gt; : il n&#x27;en reste' in html


def test_a_member_may_keep_in_the_cart_the_units_their_order_holds(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    make_order(membership=beneficiary.memberships.get(), distribution=distribution, lines={rice: 5})
    html = beneficiary_client.post(
        url("cart", shop, pk=distribution.pk),
        {"product": rice.pk, "quantity": "5"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "reste" not in html.split("Reste sur")[0] and "5&nbsp;× 0,90\u00a0€" in html


@pytest.mark.parametrize("count", [5, 50])
def test_the_ordering_page_runs_a_fixed_number_of_queries(
    beneficiary_client, shop, beneficiary, count, django_assert_num_queries
):
    products = [make_product(shop=shop, category=f"Rayon {n % 4}") for n in range(count)]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)] * 2
    )
    make_order(
        membership=beneficiary.memberships.get(),
        distribution=distribution,
        lines=dict.fromkeys(products[:3], 1),
    )
    # 13 (was 14): the existing order is loaded into the cart, now a cookie (no session write:
    # -3); the key of the cached product list (ids and update times) and the cart's products
    # are read apart (+2). The next view reads the product list from the cache (-1). The
    # distribution's pick-up slots, for the confirmation (+1; their places only if it has some).
    # The beneficiary profile and the header's "other shops" come with the membership (-2);
    # the products' stocks come with the key of the product list (-1).
    with django_assert_num_queries(11):
        response = beneficiary_client.get(url("order_distribution", shop, pk=distribution.pk))
    assert response.status_code == 200
    assert response.content.decode().count('name="quantity-') >= count
    with django_assert_num_queries(10):
        again = beneficiary_client.get(url("order_distribution", shop, pk=distribution.pk))
    assert again.status_code == 200


def _with_a_cart_of(client, shop, count: int):
    """A distribution offering ``count`` products, each put in the member's cart."""
    products = [make_product(shop=shop) for _n in range(count)]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    for product in products:
        client.post(
            url("cart", shop, pk=distribution.pk),
            {"product": product.pk, "quantity": "1"},
            HTTP_HX_REQUEST="true",
        )
    return distribution, products


@pytest.mark.parametrize("count", [1, 20])
def test_a_cart_change_runs_a_fixed_number_of_queries(
    beneficiary_client, shop, beneficiary, count, django_assert_num_queries
):
    distribution, products = _with_a_cart_of(beneficiary_client, shop, count)
    cart = url("cart", shop, pk=distribution.pk)
    # Session and member with profile (3), the distribution, the check's member order, products
    # and figures (4), the pick-up slots; the row and the cart shown reuse what the check read.
    with django_assert_num_queries(9):
        response = beneficiary_client.post(
            cart, {"product": products[0].pk, "quantity": "2"}, HTTP_HX_REQUEST="true"
        )
    assert f"{products[0].name} : 2 dans le panier" in response.content.decode()


@pytest.mark.parametrize("count", [1, 20])
def test_confirming_runs_a_fixed_number_of_queries(
    beneficiary_client, shop, beneficiary, count, django_assert_num_queries
):
    distribution, _products = _with_a_cart_of(beneficiary_client, shop, count)
    # Session and member with profile (3), the distribution (its shop is the request's), the
    # products read live (none here: 1); in the transaction (1): the member, the distribution,
    # the profile, the order, the products locked then read, their figures (2), the slots, the
    # order and its lines written (2); the e-mail recorded with the order (the rest).
    with django_assert_num_queries(28):
        response = beneficiary_client.post(url("confirm", shop, pk=distribution.pk))
    assert response.status_code == 302
    assert Order.objects.get().lines.count() == count


def next_poll(response) -> str:
    """The URL the page's poll asks next: it carries the figures the page shows."""
    found = re.search(r'id="availability" hx-get="([^"]+)"', response.content.decode())
    assert found, "no poll on the page"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("count", [5, 50])
def test_the_availability_poll_runs_a_fixed_number_of_queries(
    beneficiary_client, shop, beneficiary, count, django_assert_num_queries
):
    products = [make_product(shop=shop, category=f"Rayon {n % 4}") for n in range(count)]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)] * 2
    )
    make_order(
        membership=beneficiary.memberships.get(),
        distribution=distribution,
        lines=dict.fromkeys(products[:3], 1),
    )
    poll = url("availability", shop, pk=distribution.pk)
    # Session and member (3), the distribution, the offered ids, the products' stock sources
    # for the live read (its turn is taken), the member's order and lines (2), the figures (2),
    # the names of the changed products (every one: the page's figures are unknown). Not the
    # memberships of the header: the poll's partial has no header.
    with django_assert_num_queries(11):
        first = beneficiary_client.get(poll, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert first.content.decode().count('hx-swap-oob="true"') == 2 * count
    # Within the period the live read waits; nothing changed: no cells, no names.
    with django_assert_num_queries(9):
        again = beneficiary_client.get(next_poll(first), HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and "hx-swap-oob" not in again.content.decode()


def test_the_poll_sends_again_only_the_cells_of_a_product_whose_figure_changed(
    beneficiary_client, shop, distribution, rice
):
    page = beneficiary_client.get(url("order_distribution", shop, pk=distribution.pk))
    text = page.content.decode()
    assert 'id="availability"' in text and 'hx-trigger="every 5s, visible-again"' in text
    assert f'id="avail-{rice.pk}"' in text and f'id="qty-{rice.pk}"' in text
    poll = next_poll(page)
    quiet = beneficiary_client.get(poll, HTTP_HX_REQUEST="true")
    assert "<template>" not in quiet.content.decode()
    make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 5},
    )
    sold_out = beneficiary_client.get(poll, HTTP_HX_REQUEST="true")
    text = sold_out.content.decode()
    assert f'<td class="num avail" id="avail-{rice.pk}" hx-swap-oob="true"' in text
    assert "épuisé" in text and f'name="quantity-{rice.pk}"' not in text
    assert f'<td class="qty" id="qty-{rice.pk}" hx-swap-oob="true"></td>' in text


def test_a_garbled_known_list_only_sends_every_cell_again(
    beneficiary_client, shop, distribution, rice
):
    poll = url("availability", shop, pk=distribution.pk)
    response = beneficiary_client.get(poll, {"known": "x:y,12:NaNa,:"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="avail-{rice.pk}" hx-swap-oob="true"' in response.content.decode()


def test_the_poll_of_a_distribution_no_longer_open_tells_htmx_to_stop(beneficiary_client, shop):
    closed = make_distribution(shop=shop, state="closed")
    response = beneficiary_client.get(url("availability", shop, pk=closed.pk))
    assert response.status_code == 286


def test_a_beneficiary_never_sees_another_beneficiarys_order(
    beneficiary_client, shop, distribution, rice
):
    other = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    assert beneficiary_client.get(url("my_order_cancel", shop, pk=other.pk)).status_code == 404
    assert beneficiary_client.post(url("my_order_cancel", shop, pk=other.pk)).status_code == 404
    assert beneficiary_client.post(url("my_order_change", shop, pk=other.pk)).status_code == 404
    assert "Riz" not in beneficiary_client.get(url("my_orders", shop)).content.decode()
    other.refresh_from_db()
    assert other.status == OrderStatus.CONFIRMED


def test_my_orders_shows_each_lines_unit_price_and_amount(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    make_order(membership=beneficiary.memberships.get(), distribution=distribution, lines={rice: 2})
    html = beneficiary_client.get(url("my_orders", shop)).content.decode()
    assert "× 0,90\u00a0€" in html and "1,80\u00a0€" in html


def test_my_orders_shows_a_missing_product_and_a_total_without_it(
    beneficiary_client, shop, rice, beneficiary
):
    jam = make_product(shop=shop, name="Confiture", price="2.00", stock="5")
    validated = make_distribution(shop=shop, state="validated")
    order = make_order(
        membership=beneficiary.memberships.get(),
        distribution=validated,
        lines={rice: 1, jam: 1},
        status=OrderStatus.DELIVERED,
    )
    order.lines.filter(product=rice).update(delivered_quantity=Decimal("0"))
    order.lines.filter(product=jam).update(delivered_quantity=Decimal("1"))
    response = beneficiary_client.get(url("my_orders", shop))
    assert "manquant" in response.content.decode()
    (shown,) = response.context["orders"]
    assert shown.total == Decimal("0.60")  # the jam at 30 %, not the missing rice


def test_my_orders_lists_mine_and_lets_me_change_then_cancel_while_open(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    order = make_order(
        membership=beneficiary.memberships.get(), distribution=distribution, lines={rice: 2}
    )
    html = beneficiary_client.get(url("my_orders", shop)).content.decode()
    assert "Riz &lt;bio&gt;" in html and "Modifier" in html
    response = beneficiary_client.post(url("my_order_change", shop, pk=order.pk))
    assert response["Location"] == url("order_distribution", shop, pk=distribution.pk)
    cart = beneficiary_client.get(response["Location"]).content.decode()
    assert "Confirmer la modification" in cart
    beneficiary_client.post(url("my_order_cancel", shop, pk=order.pk))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_after_the_close_my_order_can_no_longer_be_changed_or_cancelled(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    order = make_order(
        membership=beneficiary.memberships.get(), distribution=distribution, lines={rice: 2}
    )
    distribution.orders_close_at = timezone.now() - datetime.timedelta(minutes=1)
    distribution.save()
    html = beneficiary_client.get(url("my_orders", shop)).content.decode()
    assert "Annuler la commande" not in html
    response = beneficiary_client.post(url("my_order_cancel", shop, pk=order.pk), follow=True)
    assert "ne sont pas ouvertes" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.lines.get().quantity == Decimal("2")


def test_a_member_of_two_shops_only_orders_in_the_shop_of_the_url(shop, other_shop, rice):
    profile = make_beneficiary(shop=shop)
    theirs = make_distribution(shop=other_shop)
    client = Client()
    client.force_login(profile.membership.user)
    assert client.get(url("order_distribution", shop, pk=theirs.pk)).status_code == 404
