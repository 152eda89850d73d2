"""The e-mail that lets an imported beneficiary choose a password.

Uses ``shops.services.beneficiary_invite(membership=...)`` when the shops app provides it;
until then, a plain password-reset link (Django's token generator) sent from here.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from shops.models import Membership

log = logging.getLogger("escarcelle.imports")


def _fallback_invite(*, membership: Membership) -> None:
    user = membership.user
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = settings.SITE_URL.rstrip("/") + path
    send_mail(
        _("Votre accès à %(shop)s sur Epiclic") % {"shop": membership.shop.name},
        _(
            "Bonjour,\n\n%(shop)s vous ouvre un accès à Epiclic pour commander en ligne.\n"
            "Choisissez votre mot de passe en suivant ce lien :\n\n%(link)s\n\n"
            "Votre identifiant est votre adresse e-mail : %(email)s\n"
        )
        % {"shop": membership.shop.name, "link": link, "email": user.email},
        None,
        [user.email],
    )


def send_invitations(*, membership_ids: list[int]) -> int:
    try:
        from shops.services import beneficiary_invite  # type: ignore[attr-defined]
    except ImportError:
        beneficiary_invite = _fallback_invite
    sent = 0
    for membership in Membership.objects.filter(pk__in=membership_ids).select_related(
        "user", "shop"
    ):
        try:
            beneficiary_invite(membership=membership)
            sent += 1
        except Exception:  # one bad address must not stop the others
            log.exception("escarcelle import: invitation to membership %s failed", membership.pk)
    return sent
