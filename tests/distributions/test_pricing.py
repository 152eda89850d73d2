from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from distributions.pricing import line_total, member_rate, solidarity_price
from shops.models import Role
from tests.factories import make_beneficiary, make_membership

prices = st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)
rates = st.decimals(min_value=0, max_value=100, places=2)


def test_thirty_percent_of_2_99_is_0_90():
    assert solidarity_price(Decimal("2.99"), Decimal("30")) == Decimal("0.90")


def test_half_a_cent_rounds_up():
    assert solidarity_price(Decimal("0.05"), Decimal("50")) == Decimal("0.03")
    assert solidarity_price(Decimal("1.00"), Decimal("12.5")) == Decimal("0.13")


def test_a_line_total_is_rounded_once_to_the_cent():
    assert line_total(Decimal("0.90"), Decimal("1.255")) == Decimal("1.13")
    assert line_total(Decimal("0.90"), Decimal("3")) == Decimal("2.70")


@given(prices, rates)
def test_the_charged_price_is_within_half_a_cent_of_the_exact_product(shelf, rate):
    charged = solidarity_price(shelf, rate)
    exact = shelf * rate / 100
    assert charged >= 0
    assert abs(charged - exact) <= Decimal("0.005")
    assert charged == charged.quantize(Decimal("0.01"))


@given(prices)
def test_a_full_rate_charges_the_shelf_price(shelf):
    assert solidarity_price(shelf, Decimal("100")) == shelf


def test_a_beneficiary_pays_their_rate_and_another_member_pays_100_percent(shop):
    profile = make_beneficiary(shop=shop, participation_rate="30")
    assert member_rate(profile.membership) == Decimal("30")
    member = make_membership(shop=shop, role=Role.BENEFICIARY)
    assert member_rate(member) == Decimal("100")
