"""One e-mail to the shop's contact when sales have been stuck (pending or failed) too long."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from epiclic import emails
from escarcelle.sales.models import SaleOutbox, SaleStatus
from shops.models import Shop

ALERT_AFTER = datetime.timedelta(hours=1)


def _stuck(clock: datetime.datetime) -> QuerySet[SaleOutbox]:
    return SaleOutbox.objects.filter(
        status__in=[SaleStatus.PENDING, SaleStatus.FAILED],
        alerted_at__isnull=True,
        created_at__lte=clock - ALERT_AFTER,
    )


def sales_alert_stuck(*, now: datetime.datetime | None = None) -> int:
    """Queue at most one e-mail per shop for the sales that became stuck since the last one.

    Per shop, one transaction marks the rows (conditional UPDATE) and records the e-mail in the
    e-mail outbox: a sale is never the subject of two e-mails, whatever the number of attempts
    or sweepers, and an SMTP failure cannot lose the alert (the outbox retries it) nor stop the
    loop for the shops after it.
    """
    clock = now or timezone.now()
    queued = 0
    shop_ids = list(_stuck(clock).values_list("shop_id", flat=True).distinct())
    # A suspended shop's sales wait on purpose: no alert until it is reactivated.
    for shop in Shop.objects.filter(pk__in=shop_ids, suspended_at__isnull=True):
        with transaction.atomic():
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
            url = emails.site_url(reverse("escarcelle:sales:list", kwargs={"shop_slug": shop.slug}))
            if emails.email_queue(
                name="sales_stuck",
                to=[shop.contact_email],
                shop_id=shop.pk,
                context={"failed": counts["failed"], "pending": counts["pending"], "url": url},
            ):
                queued += 1
    return queued
