"""Huey tasks of the sales push: thin wrappers around the services, and the receiver that
records the sales of a validated distribution."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from distributions.models import Distribution
from epiclic.logs import shop_context
from epiclic.queue import enqueue
from escarcelle.sales.services import sales_deliver, sales_record_for_distribution, sales_sweep


@db_task()
def sales_deliver_task(distribution_id: int) -> None:
    """Queued after the validation commits. If it is lost, the sweeper does its work."""
    distribution = Distribution.objects.select_related("shop").filter(pk=distribution_id).first()
    if distribution is not None:
        with shop_context(distribution.shop.slug):  # its log lines carry the shop's slug
            sales_deliver(distribution=distribution)


@db_periodic_task(crontab(minute="*"))
def sales_sweep_task() -> None:
    sales_sweep()


def sales_record_on_validation(sender: Any, *, distribution: Distribution, **kwargs: Any) -> None:
    """Receiver of ``distributions.signals.distribution_validated`` (connected by
    ``SalesConfig.ready()``), inside the validation's transaction.

    The outbox is written in that transaction, so a validated distribution and its pending
    sales are committed (or rolled back) together; the delivery is queued once it commits.
    """
    if sales_record_for_distribution(distribution=distribution):
        pk = distribution.pk
        # An unreachable queue only delays the delivery (the sweep sends pending rows): it
        # never turns the validation, already committed, into an error.
        transaction.on_commit(lambda: enqueue(sales_deliver_task, pk))
