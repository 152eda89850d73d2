"""Reads of the sent-log shown to the grocery."""

from __future__ import annotations

from dataclasses import dataclass

from distributions.models import Distribution
from notifications.models import Notification

SHOWN = 200


@dataclass(frozen=True)
class NotificationLog:
    rows: list[Notification]  # the latest SHOWN, newest first
    total: int
    not_notified: list[Notification]  # who could not be notified (no address), all of them


def distribution_log(*, distribution: Distribution) -> NotificationLog:
    """The notifications of ``distribution`` (a fixed number of queries)."""
    rows = Notification.objects.filter(distribution=distribution).select_related(
        "membership__user", "membership__beneficiary", "email"
    )
    return NotificationLog(
        rows=list(rows[:SHOWN]),
        total=rows.count(),
        not_notified=list(rows.exclude(skipped_reason="")),
    )
