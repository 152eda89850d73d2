"""Writes on memberships and beneficiary profiles."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from epiclic.errors import Refusal
from shops.models import BeneficiaryProfile, Membership, Role, Shop


def beneficiary_invite(*, membership: Membership) -> None:
    """E-mail the member a link to choose a password (Django's password-reset token).

    Used after a manual creation and by the Escarcelle beneficiary import. The link expires
    like a password reset (``PASSWORD_RESET_TIMEOUT``) and dies once a password is set.
    """
    user = membership.user
    if not user.email:
        return
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "shop": membership.shop,
        "link": settings.SITE_URL.rstrip("/") + path,
        "forgotten_url": settings.SITE_URL.rstrip("/") + reverse("password_reset"),
    }
    send_mail(
        subject=_("%(shop)s : votre accès à Epiclic") % {"shop": membership.shop.name},
        message=render_to_string("shops/beneficiary_invite_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def beneficiary_create(
    *,
    shop: Shop,
    email: str,
    first_name: str = "",
    last_name: str = "",
    card_number: str = "",
    household_size: int = 1,
    participation_rate: Decimal = Decimal("100"),
    monthly_budget: Decimal | None = None,
    access_valid_until: datetime.date | None = None,
    active: bool = True,
    escarcelle_id: str | None = None,
) -> BeneficiaryProfile:
    """User (username = e-mail lowercased) + beneficiary membership + profile.

    A person who already has an account (another shop) gets a membership of this shop; an
    existing member of this shop raises ``Refusal``. People without a password yet get
    an invitation e-mail once the transaction commits.
    """
    email = email.strip().lower()
    User = get_user_model()
    user = User.objects.filter(username=email).first()
    if user is None:
        user = User.objects.create_user(
            username=email, email=email, first_name=first_name, last_name=last_name
        )
    elif Membership.objects.filter(user=user, shop=shop).exists():
        raise Refusal(
            _("%(email)s est déjà membre de cette épicerie : modifiez sa fiche plutôt.")
            % {"email": email}
        )
    membership = Membership.objects.create(user=user, shop=shop, role=Role.BENEFICIARY)
    profile = BeneficiaryProfile.objects.create(
        shop=shop,
        membership=membership,
        card_number=card_number,
        household_size=household_size,
        participation_rate=participation_rate,
        monthly_budget=monthly_budget,
        access_valid_until=access_valid_until,
        active=active,
        escarcelle_id=escarcelle_id,
    )
    if not user.has_usable_password():
        transaction.on_commit(lambda: beneficiary_invite(membership=membership))
    return profile


@transaction.atomic
def beneficiary_update(
    *, profile: BeneficiaryProfile, first_name: str, last_name: str, **fields: object
) -> BeneficiaryProfile:
    """Save the profile fields and the person's name together."""
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    user = profile.membership.user
    if (user.first_name, user.last_name) != (first_name, last_name):
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
    return profile
