"""Huey tasks of the sales push: thin wrappers around the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from distributions.models import Distribution
from escarcelle.sales.services import sales_deliver, sales_sweep


@db_task()
def sales_deliver_task(distribution_id: int) -> None:
    """Queued after the validation commits. If it is lost, the sweeper does its work."""
    distribution = Distribution.objects.select_related("shop").filter(pk=distribution_id).first()
    if distribution is not None:
        sales_deliver(distribution=distribution)


@db_periodic_task(crontab(minute="*"))
def sales_sweep_task() -> None:
    sales_sweep()
