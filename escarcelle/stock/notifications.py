"""The two e-mails of the stock sync: it keeps failing, and it works again."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from shops.models import Shop

log = logging.getLogger("escarcelle.stock")


def _stocks_url(shop: Shop) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "escarcelle:stocks", kwargs={"shop_slug": shop.slug}
    )


def _send(shop: Shop, subject: str, body: str) -> None:
    if not shop.contact_email:
        log.warning("shop %s has no contact e-mail: stock sync notice not sent", shop.pk)
        return
    send_mail(subject, body, None, [shop.contact_email], fail_silently=True)


def send_failure(shop: Shop, reason: str) -> None:
    with translation.override("fr"):
        subject = _("Epiclic : la synchronisation des stocks avec Escarcelle échoue")
        body = _(
            "Bonjour,\n\n"
            "Epiclic n'arrive plus à lire les stocks de %(shop)s dans Escarcelle.\n"
            "Raison : %(reason)s\n\n"
            "Les commandes en ligne utilisent les derniers stocks connus. Epiclic réessaie "
            "automatiquement ; vous recevrez un message quand cela fonctionnera à nouveau.\n\n"
            "Page Stocks : %(url)s\n"
        ) % {"shop": shop.name, "reason": reason, "url": _stocks_url(shop)}
        _send(shop, subject, body)


def send_recovery(shop: Shop) -> None:
    with translation.override("fr"):
        subject = _("Epiclic : la synchronisation des stocks avec Escarcelle fonctionne à nouveau")
        body = _(
            "Bonjour,\n\n"
            "Les stocks de %(shop)s sont de nouveau lus dans Escarcelle.\n\n"
            "Page Stocks : %(url)s\n"
        ) % {"shop": shop.name, "url": _stocks_url(shop)}
        _send(shop, subject, body)
