"""One ordering rule (``rules.order_check``): the cart refuses what the confirmation would."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from distributions import cart as carts
from distributions.models import Distribution, Order
from distributions.services import order_confirm
from epiclic.errors import Refusal
from shops.models import BeneficiaryProfile, Membership, Role, Shop
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_membership,
    make_order,
    make_product,
    make_shop,
)

D = Decimal


@dataclass
class World:
    shop: Shop
    member: Membership
    profile: BeneficiaryProfile
    rice: Product  # by the piece, 2,99 € (0,90 € at 30 %), 5 in stock
    apples: Product  # by the kg, 3,00 € (0,90 € at 30 %), 20 in stock
    distribution: Distribution


@pytest.fixture
def world(shop: Shop, beneficiary) -> World:
    rice = make_product(shop=shop, name="Riz", price="2.99", stock="5")
    apples = make_product(shop=shop, name="Pommes", unit="kg", price="3.00", stock="20")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[rice, apples])]
    )
    member = beneficiary.memberships.get()
    return World(shop, member, member.beneficiary, rice, apples, distribution)


def cart_post(client: Client, world: World, product: Product, quantity: str):
    return client.post(
        reverse(
            "distributions:cart",
            kwargs={"shop_slug": world.shop.slug, "pk": world.distribution.pk},
        ),
        {"product": product.pk, "quantity": quantity},
        HTTP_HX_REQUEST="true",
    )


def refusal_of(response) -> str | None:
    """The refusal the cart partial shows, or None."""
    match = re.search(
        r'class="cart-jump bad" role="button">(.*?)</a>', response.content.decode(), re.S
    )
    return html.unescape(match.group(1)) if match else None


def cart_of(client: Client, world: World) -> dict[str, str]:
    """The cart as the beneficiary's browser holds it (a signed cookie)."""
    request = HttpRequest()
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    request.user = world.member.user
    return {str(pk): str(qty) for pk, qty in carts.cart_get(request, world.distribution).items()}


# Each case changes the world so that ordering ``quantity`` of a product must be refused.


def closed_distribution(w: World) -> tuple[Product, str]:
    w.distribution.orders_close_at = timezone.now() - datetime.timedelta(minutes=1)
    w.distribution.save()
    return w.rice, "1"


def expired_access(w: World) -> tuple[Product, str]:
    w.profile.access_valid_until = timezone.localdate() - datetime.timedelta(days=1)
    w.profile.save()
    return w.rice, "1"


def inactive_profile(w: World) -> tuple[Product, str]:
    w.profile.active = False
    w.profile.save()
    return w.rice, "1"


def not_whole_for_a_piece(w: World) -> tuple[Product, str]:
    return w.rice, "1.5"


def above_the_largest_quantity(w: World) -> tuple[Product, str]:
    return w.apples, "9999.5"


def above_what_is_left_counting_their_own_order(w: World) -> tuple[Product, str]:
    # 5 in stock, 2 held by someone else, 1 by this member: they may order up to 3.
    other = make_beneficiary(shop=w.shop).membership
    make_order(membership=other, distribution=w.distribution, lines={w.rice: 2})
    make_order(membership=w.member, distribution=w.distribution, lines={w.rice: 1})
    return w.rice, "4"


def over_the_monthly_budget(w: World) -> tuple[Product, str]:
    w.profile.monthly_budget = D("2.00")
    w.profile.save()
    return w.rice, "3"  # 3 × 0,90 €


def over_the_budget_with_another_order_of_the_month(w: World) -> tuple[Product, str]:
    w.profile.monthly_budget = D("3.00")
    w.profile.save()
    earlier = make_distribution(shop=w.shop, state="validated", starts_at=w.distribution.starts_at)
    make_order(
        membership=w.member, distribution=earlier, lines={w.apples: 2}, status="delivered"
    )  # 1,80 €
    return w.rice, "2"  # 1,80 € more


def not_offered_at_this_distribution(w: World) -> tuple[Product, str]:
    return make_product(shop=w.shop, name="Ailleurs"), "1"


def of_another_shop(w: World) -> tuple[Product, str]:
    return make_product(shop=make_shop(), name="Étranger"), "1"


CASES: list[Callable[[World], tuple[Product, str]]] = [
    closed_distribution,
    expired_access,
    inactive_profile,
    not_whole_for_a_piece,
    above_the_largest_quantity,
    above_what_is_left_counting_their_own_order,
    over_the_monthly_budget,
    over_the_budget_with_another_order_of_the_month,
    not_offered_at_this_distribution,
    of_another_shop,
]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_the_cart_refuses_what_the_confirmation_refuses_with_the_same_message(
    case, world, beneficiary_client
):
    product, quantity = case(world)
    with pytest.raises(Refusal) as confirmation:
        order_confirm(
            membership=world.member,
            distribution=world.distribution,
            quantities={product.pk: D(quantity)},
        )
    response = cart_post(beneficiary_client, world, product, quantity)
    assert refusal_of(response) == confirmation.value.message
    assert cart_of(beneficiary_client, world) == {}  # nothing was put in the cart


def test_the_cart_takes_what_the_confirmation_takes_counting_their_own_order(
    world, beneficiary_client
):
    above_what_is_left_counting_their_own_order(world)
    response = cart_post(beneficiary_client, world, world.rice, "3")
    assert refusal_of(response) is None
    assert cart_of(beneficiary_client, world) == {str(world.rice.pk): "3"}
    confirmed = beneficiary_client.post(
        reverse(
            "distributions:confirm",
            kwargs={"shop_slug": world.shop.slug, "pk": world.distribution.pk},
        )
    )
    assert confirmed["Location"] == reverse(
        "distributions:my_orders", kwargs={"shop_slug": world.shop.slug}
    )
    assert Order.objects.get(membership=world.member).lines.get().quantity == 3


def test_a_member_over_budget_may_always_lower_or_remove_but_not_add(world, beneficiary_client):
    cart_post(beneficiary_client, world, world.rice, "3")  # 2,70 €
    cart_post(beneficiary_client, world, world.apples, "2")  # 1,80 €
    world.profile.monthly_budget = D("1.00")  # lowered by the grocery meanwhile
    world.profile.save()
    lowered = cart_post(beneficiary_client, world, world.rice, "2")
    assert refusal_of(lowered) is None
    removed = cart_post(beneficiary_client, world, world.apples, "0")
    assert refusal_of(removed) is None
    assert cart_of(beneficiary_client, world) == {str(world.rice.pk): "2"}
    raised = cart_post(beneficiary_client, world, world.apples, "1")
    assert "dépasse votre budget du mois" in refusal_of(raised)
    with pytest.raises(Refusal, match="dépasse votre budget du mois"):
        order_confirm(
            membership=world.member, distribution=world.distribution, quantities={world.rice.pk: 2}
        )


def test_the_cart_reads_french_decimals_through_the_one_parser(world, beneficiary_client):
    assert refusal_of(cart_post(beneficiary_client, world, world.apples, "1,5")) is None
    assert cart_of(beneficiary_client, world) == {str(world.apples.pk): "1.5"}
    for typed in ("1e3", "NaN", "2,5,1"):
        refused = cart_post(beneficiary_client, world, world.apples, typed)
        assert "Indiquez une quantité en chiffres" in refusal_of(refused)
    assert cart_of(beneficiary_client, world) == {str(world.apples.pk): "1.5"}


def test_a_member_without_a_profile_sees_and_pays_the_shelf_price(shop):
    rice = make_product(shop=shop, name="Riz", price="2.99", stock="5")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[rice])]
    )
    member = make_membership(shop=shop, role=Role.BENEFICIARY)
    client = Client()
    client.force_login(member.user)
    page = client.get(
        reverse(
            "distributions:order_distribution",
            kwargs={"shop_slug": shop.slug, "pk": distribution.pk},
        )
    )
    assert page.context["rate"] == D("100")
    assert page.context["rows"][0].price == D("2.99")
    order = order_confirm(membership=member, distribution=distribution, quantities={rice.pk: 1})
    assert order.participation_rate == D("100") and order.lines.get().unit_price == D("2.99")
