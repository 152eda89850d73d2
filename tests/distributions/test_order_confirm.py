"""The rules of ``order_confirm``, ``order_cancel`` and the availability they rely on."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from distributions.availability import available_quantities, displayable
from distributions.models import Order, OrderLine, OrderStatus
from distributions.services import order_cancel, order_confirm
from epiclic.errors import Refusal
from shops.models import Role
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_membership,
    make_order,
    make_product,
)

D = Decimal


@pytest.fixture
def product(shop):
    return make_product(shop=shop, name="Riz", price="2.99", stock="5")


@pytest.fixture
def distribution(shop, product):
    return make_distribution(shop=shop, catalogues=[make_catalogue(shop=shop, products=[product])])


@pytest.fixture
def member(shop):
    return make_beneficiary(shop=shop, participation_rate="30").membership


def test_an_order_stores_the_shelf_price_the_rate_and_the_price_charged(
    member, distribution, product
):
    order = order_confirm(membership=member, distribution=distribution, quantities={product.pk: 2})
    product.price = D("5.00")
    product.save()
    line = OrderLine.objects.get(order=order)
    assert (line.shelf_price, line.participation_rate, line.unit_price) == (
        D("2.99"),
        D("30"),
        D("0.90"),
    )
    assert line.quantity == 2 and Order.objects.get().participation_rate == D("30")


def test_a_member_without_a_profile_pays_the_shelf_price(shop, distribution, product):
    member = make_membership(shop=shop, role=Role.BENEFICIARY)
    order = order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})
    assert order.lines.get().unit_price == D("2.99")


@pytest.mark.parametrize("state", ["upcoming", "closed", "validated"])
def test_a_distribution_that_is_not_open_is_refused(shop, member, product, state):
    catalogue = make_catalogue(shop=shop, products=[product])
    distribution = make_distribution(shop=shop, state=state, catalogues=[catalogue])
    with pytest.raises(Refusal, match="ne sont pas ouvertes"):
        order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})
    assert not Order.objects.exists()


def test_an_expired_access_is_refused(member, distribution, product):
    member.beneficiary.access_valid_until = timezone.localdate() - datetime.timedelta(days=1)
    member.beneficiary.save()
    with pytest.raises(Refusal, match="a expiré"):
        order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})


def test_a_deactivated_beneficiary_is_refused(member, distribution, product):
    member.beneficiary.active = False
    member.beneficiary.save()
    with pytest.raises(Refusal, match="désactivé"):
        order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})


def test_a_quantity_above_what_is_available_is_refused(shop, member, distribution, product):
    other = make_beneficiary(shop=shop).membership
    make_order(membership=other, distribution=distribution, lines={product: 4})
    with pytest.raises(Refusal, match="il n'en reste que 1"):
        order_confirm(membership=member, distribution=distribution, quantities={product.pk: 2})
    order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})


def test_a_product_in_no_offered_catalogue_is_refused(shop, member, distribution):
    elsewhere = make_product(shop=shop)
    make_catalogue(shop=shop, products=[elsewhere])  # a catalogue the distribution doesn't offer
    with pytest.raises(Refusal, match="pas proposé"):
        order_confirm(membership=member, distribution=distribution, quantities={elsewhere.pk: 1})


def test_an_inactive_or_other_shop_product_is_refused(shop, other_shop, member, distribution):
    inactive = make_product(shop=shop, active=False)
    foreign = make_product(shop=other_shop)
    distribution.catalogues.first().products.add(inactive, foreign)
    for product in (inactive, foreign):
        with pytest.raises(Refusal, match="pas proposé"):
            order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})


def test_a_catalogue_outside_its_active_period_offers_nothing(shop, member, product):
    catalogue = make_catalogue(
        shop=shop, products=[product], ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    distribution = make_distribution(shop=shop, catalogues=[catalogue])
    with pytest.raises(Refusal, match="pas proposé"):
        order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})


@pytest.mark.parametrize(
    ("unit", "quantity", "message"),
    [
        ("piece", "1.5", "nombre entier"),
        ("piece", "0", "supérieure à zéro"),
        ("kg", "-1", "supérieure à zéro"),
        ("kg", "0.0005", "trois décimales"),
    ],
)
def test_bad_quantities_are_refused(shop, member, unit, quantity, message):
    product = make_product(shop=shop, unit=unit, stock="10")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[product])]
    )
    with pytest.raises(Refusal, match=message):
        order_confirm(
            membership=member, distribution=distribution, quantities={product.pk: D(quantity)}
        )


def test_a_weighed_product_accepts_three_decimals(shop, member):
    product = make_product(shop=shop, unit="kg", stock="10", price="4.00")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[product])]
    )
    order = order_confirm(
        membership=member, distribution=distribution, quantities={product.pk: D("1.255")}
    )
    assert order.lines.get().quantity == D("1.255")


def test_an_empty_cart_is_refused(member, distribution):
    with pytest.raises(Refusal, match="vide"):
        order_confirm(membership=member, distribution=distribution, quantities={})


def test_the_monthly_budget_counts_other_orders_of_the_same_month(shop, product):
    member = make_beneficiary(shop=shop, participation_rate="100", monthly_budget="10").membership
    catalogue = make_catalogue(shop=shop, products=[product])
    first = make_distribution(shop=shop, catalogues=[catalogue])
    second = make_distribution(shop=shop, catalogues=[catalogue], starts_at=first.starts_at)
    order_confirm(membership=member, distribution=first, quantities={product.pk: 2})  # 5.98
    with pytest.raises(Refusal, match="dépasse votre budget du mois"):
        order_confirm(membership=member, distribution=second, quantities={product.pk: 2})
    order_confirm(membership=member, distribution=second, quantities={product.pk: 1})  # 8.97


def test_the_budget_ignores_cancelled_orders_and_another_month(shop, product):
    member = make_beneficiary(shop=shop, participation_rate="100", monthly_budget="6").membership
    catalogue = make_catalogue(shop=shop, products=[product])
    current = make_distribution(shop=shop, catalogues=[catalogue])
    last_month = make_distribution(
        shop=shop, state="validated", starts_at=current.starts_at - datetime.timedelta(days=40)
    )
    cancelled = make_distribution(shop=shop, starts_at=current.starts_at, catalogues=[catalogue])
    make_order(membership=member, distribution=last_month, lines={product: 2})
    make_order(membership=member, distribution=cancelled, lines={product: 2}, status="cancelled")
    order_confirm(membership=member, distribution=current, quantities={product.pk: 2})


def test_a_product_missing_at_an_earlier_distribution_does_not_eat_the_budget(shop, product):
    member = make_beneficiary(shop=shop, participation_rate="100", monthly_budget="6").membership
    catalogue = make_catalogue(shop=shop, products=[product])
    current = make_distribution(shop=shop, catalogues=[catalogue])
    earlier = make_distribution(shop=shop, state="validated", starts_at=current.starts_at)
    order = make_order(
        membership=member, distribution=earlier, lines={product: 2}, status="delivered"
    )
    order.lines.update(delivered_quantity=D("0"))  # marked missing: nothing paid
    order_confirm(membership=member, distribution=current, quantities={product.pk: 2})  # 5.98


def test_changing_an_order_replaces_it_and_its_budget_share(shop, product):
    member = make_beneficiary(shop=shop, participation_rate="100", monthly_budget="6").membership
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[product])]
    )
    first = order_confirm(membership=member, distribution=distribution, quantities={product.pk: 2})
    second = order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})
    assert first.pk == second.pk
    assert list(second.lines.values_list("quantity", flat=True)) == [D("1")]


def test_a_change_may_keep_the_units_this_beneficiary_already_holds(member, distribution, product):
    order_confirm(membership=member, distribution=distribution, quantities={product.pk: 5})
    assert available_quantities(shop=distribution.shop)[product.pk] == 0
    order_confirm(membership=member, distribution=distribution, quantities={product.pk: 5})
    with pytest.raises(Refusal, match="il n'en reste que 5"):
        order_confirm(membership=member, distribution=distribution, quantities={product.pk: 6})


def test_an_order_can_be_cancelled_while_open_then_placed_again(member, distribution, product):
    order = order_confirm(membership=member, distribution=distribution, quantities={product.pk: 5})
    order_cancel(order=order)
    assert available_quantities(shop=distribution.shop)[product.pk] == 5
    again = order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})
    assert again.pk == order.pk and again.status == OrderStatus.CONFIRMED


def test_an_order_cannot_be_changed_or_cancelled_after_the_close(member, distribution, product):
    order = order_confirm(membership=member, distribution=distribution, quantities={product.pk: 1})
    distribution.orders_close_at = timezone.now() - datetime.timedelta(minutes=1)
    distribution.save()
    with pytest.raises(Refusal, match="ne sont pas ouvertes"):
        order_confirm(membership=member, distribution=distribution, quantities={product.pk: 2})
    with pytest.raises(Refusal, match="ne sont pas ouvertes"):
        order_cancel(order=order)
    assert order.lines.get().quantity == 1


def test_availability_subtracts_confirmed_orders_not_yet_validated(shop, member, product):
    other = make_beneficiary(shop=shop).membership
    third = make_beneficiary(shop=shop).membership
    open_ = make_distribution(shop=shop)
    validated = make_distribution(shop=shop, state="validated")
    make_order(membership=member, distribution=open_, lines={product: 1})
    make_order(membership=other, distribution=open_, lines={product: 3}, status="cancelled")
    make_order(membership=third, distribution=validated, lines={product: 2}, status="delivered")
    assert available_quantities(shop=shop) == {product.pk: D("4")}


def test_availability_uses_the_delivered_quantity_once_set(shop, member, product):
    order = make_order(
        membership=member, distribution=make_distribution(shop=shop), lines={product: 3}
    )
    order.lines.update(delivered_quantity=D("1"))
    assert available_quantities(shop=shop, product_ids=[product.pk]) == {product.pk: D("4")}


def test_availability_may_be_negative_but_is_never_shown_negative(shop, member, product):
    make_order(membership=member, distribution=make_distribution(shop=shop), lines={product: 5})
    product.stock = D("2")
    product.save()
    assert available_quantities(shop=shop)[product.pk] == D("-3")
    assert displayable(D("-3")) == 0


def test_availability_of_another_stock_source_goes_through_its_registered_function(
    shop, member, monkeypatch
):
    from distributions import availability
    from distributions.availability import StockFigure

    manual = make_product(shop=shop, stock="3")
    synced = make_product(shop=shop, stock="7", stock_source="escarcelle")
    make_order(membership=member, distribution=make_distribution(shop=shop), lines={manual: 1})
    asked = []

    def escarcelle_figures(*, shop, stocks):
        asked.append(list(stocks))
        return {synced.pk: StockFigure(quantity=D("45"), reserved=D("3"))}

    monkeypatch.setitem(availability._SOURCES, "escarcelle", escarcelle_figures)
    assert available_quantities(shop=shop) == {manual.pk: D("2"), synced.pk: D("42")}
    assert asked == [[synced.pk]]


def test_a_stock_source_nobody_registered_is_a_configuration_error(shop, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from distributions import availability

    make_product(shop=shop, stock_source="escarcelle")
    monkeypatch.delitem(availability._SOURCES, "escarcelle")
    with pytest.raises(ImproperlyConfigured, match="availability_source_register"):
        available_quantities(shop=shop)


@pytest.mark.parametrize("count", [30, 60])  # 60: over MANY_IDS, the shop's open orders
def test_availability_runs_a_fixed_number_of_queries(
    shop, member, count, django_assert_num_queries
):
    products = [make_product(shop=shop) for _ in range(count)]
    distribution = make_distribution(shop=shop)
    make_order(membership=member, distribution=distribution, lines=dict.fromkeys(products, 1))
    with django_assert_num_queries(2):
        result = available_quantities(shop=shop, product_ids=[p.pk for p in products])
    assert set(result.values()) == {D("9")}


def test_availability_of_many_products_counts_each_one_s_own_orders_only(shop, member):
    products = [make_product(shop=shop, stock="10") for _ in range(60)]
    left_out = make_product(shop=shop, stock="10")
    distribution = make_distribution(shop=shop)
    make_order(
        membership=member,
        distribution=distribution,
        lines={products[0]: 2, products[59]: 3, left_out: 4},
    )
    result = available_quantities(shop=shop, product_ids=[p.pk for p in products])
    assert left_out.pk not in result and len(result) == 60
    assert result[products[0].pk] == D("8") and result[products[59].pk] == D("7")
    assert result[products[1].pk] == D("10")
