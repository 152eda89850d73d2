"""A grocery's team of managers: invitations by e-mail, acceptance, removal.

An invitation is a row (``Invitation``) and an e-mail with its link. The person who has no
account chooses a password from the link; the one who has an account signs in and accepts.
Inviting an address again sends the same pending invitation again, never a second one.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from epiclic import emails
from epiclic.errors import Refusal
from shops.models import Invitation, Membership, Role, Shop


def email_normalise(email: str) -> str:
    """The address, trimmed and lowercased, or a ``Refusal`` in French."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Refusal(
            _("« %(email)s » n'est pas une adresse e-mail valide.") % {"email": email},
            code="invalid_email",
        ) from None
    return email


def invitation_link(invitation: Invitation) -> str:
    return emails.site_url(reverse("invitation_accept", kwargs={"token": invitation.token}))


def _refuse_member(email: str, role: str | None) -> None:
    """A member of the shop is not invited: a manager already is one, and a beneficiary's
    account keeps its one role (it would lose its orders and budget as a manager)."""
    if role == Role.MANAGER:
        raise Refusal(
            _("%(email)s gère déjà cette épicerie.") % {"email": email}, code="already_manager"
        )
    if role is not None:
        raise Refusal(
            _(
                "%(email)s est bénéficiaire de cette épicerie : un compte y a un seul rôle. "
                "Invitez une autre adresse pour la gestion."
            )
            % {"email": email},
            code="already_member",
        )


def account_exists(email: str) -> bool:
    return get_user_model().objects.filter(username=email).exists()


def _send(invitation: Invitation) -> None:
    existing = account_exists(invitation.email)
    emails.email_queue(
        name="manager_invite",
        to=[invitation.email],
        shop_id=invitation.shop_id,
        context={
            "shop": invitation.shop,
            "link": invitation_link(invitation),
            "has_account": existing,
            "invited_by": invitation.invited_by.get_full_name() or invitation.invited_by.email
            if invitation.invited_by
            else "",
            "days": Invitation.LIFETIME.days,
        },
    )


@transaction.atomic
def manager_invite(*, shop: Shop, email: str, invited_by: User | None = None) -> Invitation:
    """Invite ``email`` to manage ``shop`` (or send its pending invitation again)."""
    email = email_normalise(email)
    role = Membership.objects.filter(shop=shop, user__username=email).values_list("role", flat=True)
    _refuse_member(email, role.first())
    now = timezone.now()
    pending = (
        Invitation.objects.select_for_update()
        .filter(shop=shop, email=email, accepted_at__isnull=True)
        .first()
    )
    if pending is None:
        try:
            with transaction.atomic():
                pending = Invitation.objects.create(
                    shop=shop,
                    email=email,
                    role=Role.MANAGER,
                    token=secrets.token_urlsafe(32),
                    invited_by=invited_by,
                    created_at=now,
                    sent_at=now,
                )
        except IntegrityError:  # the same invitation, made at the same moment
            pending = Invitation.objects.select_for_update().get(
                shop=shop, email=email, accepted_at__isnull=True
            )
        else:
            _send(pending)
            return pending
    if pending.is_expired(now):
        pending.token = secrets.token_urlsafe(32)  # the old link stays dead
    pending.sent_at = now
    pending.sent_count += 1
    pending.invited_by = invited_by or pending.invited_by
    pending.save(update_fields=["token", "sent_at", "sent_count", "invited_by"])
    _send(pending)
    return pending


def invitation_for_token(token: str) -> Invitation | None:
    """The pending, unexpired invitation of a link, or ``None``."""
    invitation = (
        Invitation.objects.select_related("shop")
        .filter(token=token, accepted_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.is_expired():
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None = None, password: str | None = None
) -> Membership:
    """Join the shop as manager: as ``user`` (signed in, same address), or as a new account
    with ``password`` when the address has none."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.is_expired():
        raise Refusal(_("Cette invitation a expiré ou a déjà servi."), code="invitation_used")
    User_ = get_user_model()
    if user is None:
        if password is None:
            raise ValueError("invitation_accept needs a user or a password")
        if User_.objects.filter(username=locked.email).exists():
            raise Refusal(
                _("Un compte existe déjà pour %(email)s : connectez-vous pour accepter.")
                % {"email": locked.email},
                code="account_exists",
            )
        user = User_.objects.create_user(
            username=locked.email, email=locked.email, password=password
        )
    elif user.username.lower() != locked.email and user.email.lower() != locked.email:
        raise Refusal(
            _("Cette invitation est adressée à %(email)s : connectez-vous avec ce compte.")
            % {"email": locked.email},
            code="wrong_account",
        )
    existing = Membership.objects.filter(user=user, shop=locked.shop).first()
    if locked.role == Role.BENEFICIARY:
        # An attached account joins: its pending membership (shops.people) becomes real.
        if existing is None or not existing.pending:
            raise Refusal(_("Cette invitation a expiré ou a déjà servi."), code="invitation_used")
        existing.pending = False
        existing.save(update_fields=["pending"])
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        return existing
    if existing is not None:  # became a member since the invitation was sent
        _refuse_member(locked.email, existing.role)
    membership = Membership.objects.create(user=user, shop=locked.shop, role=Role.MANAGER)
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def manager_remove(*, shop: Shop, membership: Membership) -> None:
    """Remove a manager from the shop; the last one stays (a grocery always has a manager)."""
    managers = list(
        Membership.objects.select_for_update()
        .filter(shop=shop, role=Role.MANAGER)
        .values_list("pk", flat=True)
    )
    if membership.pk not in managers:
        raise Refusal(_("Cette personne ne gère pas cette épicerie."), code="not_manager")
    if len(managers) <= 1:
        raise Refusal(
            _(
                "C'est le dernier gestionnaire de l'épicerie : invitez-en un autre "
                "avant de le retirer."
            ),
            code="last_manager",
        )
    membership.delete()


def invitation_cancel(*, shop: Shop, invitation_id: int) -> None:
    Invitation.objects.filter(shop=shop, pk=invitation_id, accepted_at__isnull=True).delete()
