"""Reads of the sent-log shown to the grocery."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from distributions.models import Distribution
from notifications.models import Notification

SHOWN = 200


@dataclass(frozen=True)
class NotificationLog:
    total: int = 0
    rows: list[Notification] = field(default_factory=list)  # the latest SHOWN, newest first
    not_notified: list[Notification] = field(default_factory=list)  # no address: all of them


def distribution_log(*, distribution: Distribution) -> NotificationLog:
    """The notifications of ``distribution``: one query when there are none, three otherwise."""
    logged = Notification.objects.filter(distribution=distribution)
    counts = logged.aggregate(total=Count("pk"), skipped=Count("pk", filter=~Q(skipped_reason="")))
    if not counts["total"]:
        return NotificationLog()
    rows = logged.select_related("membership__user", "membership__beneficiary", "email")
    return NotificationLog(
        total=counts["total"],
        rows=list(rows[:SHOWN]),
        not_notified=list(rows.exclude(skipped_reason="")) if counts["skipped"] else [],
    )
