"""Demo data: a shop, a manager and two beneficiaries (epiclic.demo seeds the other apps)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from shops.models import BeneficiaryProfile, Membership, Role, Shop

DEMO_SLUG = "demo"
DEMO_PASSWORD = "epiclic-demo"
DEMO_OPERATOR = "operateur@demo.epiclic.fr"


def _user(email: str, first_name: str, last_name: str) -> User:
    return get_user_model().objects.create_user(
        username=email,
        email=email,
        password=DEMO_PASSWORD,
        first_name=first_name,
        last_name=last_name,
    )


def seed() -> Shop:
    shop = Shop.objects.create(
        name="Épicerie solidaire du Marais",
        slug=DEMO_SLUG,
        address="12 rue des Tilleuls\n75004 Paris",
        contact_email="contact@demo.epiclic.fr",
    )
    manager = _user("gestionnaire@demo.epiclic.fr", "Claire", "Martin")
    Membership.objects.create(user=manager, shop=shop, role=Role.MANAGER)
    operator = _user(DEMO_OPERATOR, "Sam", "Opérateur")
    operator.is_staff = True  # the operator space (/operateur/), not the shop's pages
    operator.save(update_fields=["is_staff"])
    today = timezone.localdate()
    for email, first, last, rate, budget in [
        ("camille@demo.epiclic.fr", "Camille", "Durand", Decimal("30"), Decimal("120")),
        ("yanis@demo.epiclic.fr", "Yanis", "Benali", Decimal("10"), None),
    ]:
        membership = Membership.objects.create(
            user=_user(email, first, last), shop=shop, role=Role.BENEFICIARY
        )
        BeneficiaryProfile.objects.create(
            shop=shop,
            membership=membership,
            card_number=f"CARTE-{membership.pk:04d}",
            household_size=3,
            participation_rate=rate,
            monthly_budget=budget,
            access_valid_until=today + datetime.timedelta(days=180),
        )
    return shop
