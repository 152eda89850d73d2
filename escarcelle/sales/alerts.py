"""One e-mail to the shop's contact when sales have been stuck (pending or failed) too long."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from escarcelle.sales.models import SaleOutbox, SaleStatus
from shops.models import Shop

ALERT_AFTER = datetime.timedelta(hours=1)


def _stuck(clock: datetime.datetime):
    return SaleOutbox.objects.filter(
        status__in=[SaleStatus.PENDING, SaleStatus.FAILED],
        alerted_at__isnull=True,
        created_at__lte=clock - ALERT_AFTER,
    )


def sales_alert_stuck(*, now: datetime.datetime | None = None) -> int:
    """Send at most one e-mail per shop for the sales that became stuck since the last one.

    The rows are marked first (conditional UPDATE), so a sale is never the subject of two
    e-mails, whatever the number of delivery attempts or sweepers.
    """
    clock = now or timezone.now()
    sent = 0
    shop_ids = list(_stuck(clock).values_list("shop_id", flat=True).distinct())
    for shop in Shop.objects.filter(pk__in=shop_ids):
        counts = (
            _stuck(clock)
            .filter(shop=shop)
            .aggregate(
                failed=Count("id", filter=Q(status=SaleStatus.FAILED)),
                pending=Count("id", filter=Q(status=SaleStatus.PENDING)),
            )
        )
        if not _stuck(clock).filter(shop=shop).update(alerted_at=clock):
            continue
        if not shop.contact_email:
            continue
        url = settings.SITE_URL.rstrip("/") + reverse(
            "escarcelle:sales:list", kwargs={"shop_slug": shop.slug}
        )
        send_mail(
            _("Epiclic : des ventes n'arrivent pas dans Escarcelle"),
            _(
                "Bonjour,\n\n"
                "Des ventes validées dans Epiclic ne sont toujours pas arrivées dans "
                "Escarcelle depuis plus d'une heure : %(failed)s en échec, %(pending)s en "
                "attente.\n\nLes ventes en échec attendent une action de votre part (la raison "
                "et la marche à suivre sont indiquées sur la page). Les ventes en attente "
                "partiront d'elles-mêmes dès qu'Escarcelle répondra.\n\n%(url)s\n\n"
                "— Epiclic"
            )
            % {"failed": counts["failed"], "pending": counts["pending"], "url": url},
            None,
            [shop.contact_email],
        )
        sent += 1
    return sent
