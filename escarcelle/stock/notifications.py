"""The two e-mails of the stock sync: it keeps failing, and it works again."""

from __future__ import annotations

from django.urls import reverse

from epiclic import emails
from shops.models import Shop


def _context(shop: Shop) -> dict[str, object]:
    return {
        "shop": shop,
        "url": emails.site_url(reverse("escarcelle:stocks", kwargs={"shop_slug": shop.slug})),
    }


def send_failure(shop: Shop, reason: str) -> None:
    emails.email_queue(
        name="stock_sync_failing",
        to=[shop.contact_email],
        shop_id=shop.pk,
        context={**_context(shop), "reason": reason},
    )


def send_recovery(shop: Shop) -> None:
    emails.email_queue(
        name="stock_sync_recovered",
        to=[shop.contact_email],
        shop_id=shop.pk,
        context=_context(shop),
    )
