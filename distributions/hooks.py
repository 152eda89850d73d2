"""Extension points that the Escarcelle connector fills in."""

from __future__ import annotations

from distributions.models import Distribution


def distribution_validated(*, distribution: Distribution) -> None:
    """Called by ``distribution_validate`` inside its transaction, after the orders are
    delivered, the stock decremented and the distribution marked validated.

    The Escarcelle sales push records its outbox here, in the same transaction, so that a
    validated distribution and its pending push are committed (or rolled back) together.
    """
    from django.db import transaction

    from escarcelle.sales.services import sales_record_for_distribution
    from escarcelle.sales.tasks import sales_deliver_task

    if sales_record_for_distribution(distribution=distribution):
        pk = distribution.pk
        transaction.on_commit(lambda: sales_deliver_task(pk))
