"""Plain keyword-only factories with sensible defaults."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from shops.models import BeneficiaryProfile, Membership, Role, Shop

_seq = itertools.count(1)
PASSWORD = "un-mot-de-passe-solide"


def make_shop(*, name: str | None = None, slug: str | None = None, **fields) -> Shop:
    n = next(_seq)
    return Shop.objects.create(
        name=name or f"Épicerie {n}",
        slug=slug or f"epicerie-{n}",
        contact_email=fields.pop("contact_email", f"contact{n}@example.org"),
        **fields,
    )


def make_user(*, email: str | None = None, password: str = PASSWORD, **fields):
    email = email or f"user{next(_seq)}@example.org"
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, **fields
    )


def make_membership(*, shop: Shop, user=None, role: str = Role.MANAGER) -> Membership:
    return Membership.objects.create(shop=shop, user=user or make_user(), role=role)


def make_beneficiary(
    *,
    shop: Shop,
    user=None,
    participation_rate: Decimal | str = "30",
    monthly_budget: Decimal | str | None = None,
    access_valid_until: datetime.date | None = None,
    **fields,
) -> BeneficiaryProfile:
    membership = make_membership(shop=shop, user=user, role=Role.BENEFICIARY)
    return BeneficiaryProfile.objects.create(
        shop=shop,
        membership=membership,
        participation_rate=Decimal(participation_rate),
        monthly_budget=None if monthly_budget is None else Decimal(monthly_budget),
        access_valid_until=access_valid_until
        or timezone.localdate() + datetime.timedelta(days=365),
        **fields,
    )
