"""Writes on memberships and beneficiary profiles."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from epiclic import emails
from epiclic.errors import Refusal
from shops import people
from shops.models import BeneficiaryProfile, Membership, Role, Shop


def beneficiary_invite(*, membership: Membership) -> None:
    """Queue the e-mail that lets the member choose a password (Django's reset token).

    Used after a manual creation and by the Escarcelle beneficiary import. The link expires
    like a password reset (``PASSWORD_RESET_TIMEOUT``) and dies once a password is set. The
    e-mail goes through ``epiclic.emails``: it leaves after the commit, from the worker, and an
    SMTP failure never reaches the request.
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
    emails.email_queue(
        name="beneficiary_invite",
        to=[user.email],
        shop_id=membership.shop_id,
        context={
            "shop": membership.shop,
            "username": user.get_username(),
            "link": emails.site_url(path),
            "forgotten_url": emails.site_url(reverse("password_reset")),
        },
    )


def beneficiary_invite_many(*, membership_ids: list[int]) -> int:
    """Invite several members at once (the Escarcelle beneficiary import). Returns how many."""
    queued = 0
    for membership in Membership.objects.filter(pk__in=membership_ids).select_related(
        "user", "shop"
    ):
        if membership.user.email:
            beneficiary_invite(membership=membership)
            queued += 1
    return queued


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

    An account that already exists is never taken over (``shops.people``): it gets a pending
    membership and an invitation to join; its name stays its own, the profile keeps the name
    typed here. An existing member of this shop raises ``Refusal``. People without a password
    yet get an invitation e-mail once the transaction commits.
    """
    email = email.strip().lower()
    User = get_user_model()
    user = User.objects.filter(username=email).first()
    attached = user is not None
    if user is None:
        user = User.objects.create_user(
            username=email, email=email, first_name=first_name, last_name=last_name
        )
    elif Membership.objects.filter(user=user, shop=shop).exists():
        raise Refusal(
            _("%(email)s est déjà membre de cette épicerie : modifiez sa fiche plutôt.")
            % {"email": email}
        )
    membership = Membership.objects.create(
        user=user, shop=shop, role=Role.BENEFICIARY, pending=attached
    )
    profile = BeneficiaryProfile.objects.create(
        shop=shop,
        membership=membership,
        first_name=first_name,
        last_name=last_name,
        card_number=card_number,
        household_size=household_size,
        participation_rate=participation_rate,
        monthly_budget=monthly_budget,
        access_valid_until=access_valid_until,
        active=active,
        escarcelle_id=escarcelle_id,
    )
    if attached:
        people.beneficiary_join_invite(membership=membership)
    elif not user.has_usable_password():
        beneficiary_invite(membership=membership)
    return profile


@transaction.atomic
def beneficiary_update(
    *, profile: BeneficiaryProfile, first_name: str, last_name: str, **fields: object
) -> BeneficiaryProfile:
    """Save the profile fields and the name this grocery uses; the account's own name too,
    only when the account belongs to this grocery alone (``shops.people``)."""
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.first_name, profile.last_name = first_name, last_name
    profile.save()
    user = profile.membership.user
    if not people.identity_editable(user=user, shop=profile.shop):
        return profile
    if (user.first_name, user.last_name) != (first_name, last_name):
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
    return profile
