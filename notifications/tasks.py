"""Huey tasks and signal receivers of the notifications: thin wrappers around the services."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from distributions.models import Distribution, Order
from epiclic.queue import enqueue
from notifications import services

log = logging.getLogger("notifications")


@db_task()
def orders_open_task(distribution_id: int) -> None:
    distribution = Distribution.objects.select_related("shop").filter(pk=distribution_id).first()
    if distribution is not None:
        services.orders_open_notify(distribution=distribution)


@db_periodic_task(crontab(minute="*/5"))
def notifications_due_task() -> None:
    services.notifications_due()


@db_periodic_task(crontab(minute="7", hour="8"))
def access_ending_task() -> None:
    services.access_ending_due()


def on_orders_opened(sender: Any, *, distribution: Distribution, **kwargs: Any) -> None:
    """*Ouvrir les commandes maintenant*: the fan-out runs in the worker once it commits (if
    the queue is down, the 5-minute sweep sends it; the sent-log keeps it once)."""
    pk = distribution.pk
    transaction.on_commit(lambda: enqueue(orders_open_task, pk))


def on_order_changed(sender: Any, *, order: Order, change: str, **kwargs: Any) -> None:
    """In the order's transaction: its e-mail is committed with it. A failure here is logged
    and never refuses the order (a savepoint keeps the order's transaction usable)."""
    try:
        with transaction.atomic():
            services.order_changed_notify(order=order, change=change)
    except Exception:
        log.exception("order %s: %s e-mail not recorded", order.pk, change)


def on_distribution_validated(sender: Any, *, distribution: Distribution, **kwargs: Any) -> None:
    """In the validation's transaction: the e-mails to those who got less than ordered."""
    try:
        with transaction.atomic():
            services.after_validation_notify(distribution=distribution)
    except Exception:
        log.exception("distribution %s: after-validation e-mails not recorded", distribution.pk)
