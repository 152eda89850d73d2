"""Scenes shared by the notification tests."""

from __future__ import annotations

import datetime

from django.core.mail import EmailMessage
from django.utils import timezone

from shops.models import BeneficiaryProfile, Shop
from tests.emails import sent_emails
from tests.factories import make_beneficiary, make_user

DAY = datetime.timedelta(days=1)


def beneficiaries(shop: Shop, n: int, *, prefix: str = "b") -> list[BeneficiaryProfile]:
    return [
        make_beneficiary(
            shop=shop,
            user=make_user(email=f"{prefix}{i}-{shop.slug}@example.org"),
            first_name=f"Prénom{i}",
            last_name="Nom",
        )
        for i in range(n)
    ]


def emails_to(address: str) -> list[EmailMessage]:
    return [m for m in sent_emails() if address in m.to]


def recipients() -> list[str]:
    return sorted(address for m in sent_emails() for address in m.to)


def today() -> datetime.date:
    return timezone.localdate()
