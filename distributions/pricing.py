"""Solidarity prices: the one place where money is rounded.

A beneficiary pays ``participation_rate`` % of the shelf price. The unit price is rounded to
the cent once, here, and then frozen on the order line; a line total is that unit price times
the quantity, rounded to the cent once, here too.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shops.models import BeneficiaryProfile, Membership

CENT = Decimal("0.01")
FULL_RATE = Decimal("100")


def solidarity_price(shelf_price: Decimal, rate: Decimal) -> Decimal:
    """The unit price charged: ``shelf_price × rate / 100`` rounded half-up to the cent.

    >>> solidarity_price(Decimal("2.99"), Decimal("30"))
    Decimal('0.90')
    """
    return (Decimal(shelf_price) * Decimal(rate) / FULL_RATE).quantize(CENT, ROUND_HALF_UP)


def line_total(unit_price: Decimal, quantity: Decimal) -> Decimal:
    """What a line costs: unit price × quantity, rounded half-up to the cent."""
    return (Decimal(unit_price) * Decimal(quantity)).quantize(CENT, ROUND_HALF_UP)


def money(amount: Decimal | None) -> Decimal:
    """A sum of money computed elsewhere (a report's SQL total), rounded half-up to the cent."""
    return Decimal(amount or 0).quantize(CENT, ROUND_HALF_UP)


def member_profile(membership: Membership) -> BeneficiaryProfile | None:
    """The member's beneficiary profile, or None (one query, then cached on ``membership``)."""
    try:
        return membership.beneficiary
    except BeneficiaryProfile.DoesNotExist:
        return None


def member_rate(membership: Membership) -> Decimal:
    """The share of the shelf price this member pays: the profile's rate, else 100 %.

    The one source of the rate: the ordering page, the cart and the confirmation all ask here.
    """
    profile = member_profile(membership)
    return FULL_RATE if profile is None else profile.participation_rate
