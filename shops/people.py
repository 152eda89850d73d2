"""People belong to themselves: what a grocery may do with an account it did not create alone.

A grocery edits a person's identity (name, e-mail) only when the account belongs to no other
grocery and is nobody's staff account; otherwise it keeps its own fields on the profile (the
name it uses, the card number). Attaching an existing account — from the form or an import —
makes a *pending* membership (no access) and sends the person an invitation to join
(``shops.models.Invitation`` with the beneficiary role, accepted from the same link page as a
manager's). Until then the grocery sees only what it typed. Every answer is the same whether
the address had an account or not, so no page tells a grocery that an address is known.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from epiclic import emails
from shops.models import Invitation, Membership, Role, Shop
from shops.team import invitation_link


def beneficiary_login(*, shop_id: int, escarcelle_id: str) -> str:
    """The login of a beneficiary without an e-mail: unique per grocery, never an address."""
    return f"esc-{shop_id}-{escarcelle_id}@beneficiaires.invalid".lower()[:150]


def identity_editable(*, user: User, shop: Shop) -> bool:
    """Whether ``shop`` may change the account's own name and e-mail."""
    if user.is_staff or user.is_superuser:
        return False
    memberships = list(Membership.objects.filter(user=user).values_list("shop_id", "pending"))
    return all(shop_id == shop.pk and not pending for shop_id, pending in memberships)


def attachable_by_import(user: User) -> bool:
    """Staff and superuser accounts are never attached by an import."""
    return not (user.is_staff or user.is_superuser)


def beneficiary_join_invite(*, membership: Membership) -> Invitation:
    """Invite the owner of an attached account to join ``membership.shop`` (sent again if
    already pending). The e-mail leaves after the commit."""
    user, shop = membership.user, membership.shop
    email = (user.email or user.username).lower()
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(shop=shop, email=email, accepted_at__isnull=True)
            .first()
        )
        if invitation is None:
            invitation = Invitation.objects.create(
                shop=shop,
                email=email,
                role=Role.BENEFICIARY,
                token=secrets.token_urlsafe(32),
                created_at=now,
                sent_at=now,
            )
        else:
            invitation.sent_at, invitation.sent_count = now, invitation.sent_count + 1
            invitation.save(update_fields=["sent_at", "sent_count"])
        emails.email_queue(
            name="beneficiary_join",
            to=[email],
            shop_id=shop.pk,
            context={
                "shop": shop,
                "link": invitation_link(invitation),
                "days": Invitation.LIFETIME.days,
            },
        )
    return invitation
