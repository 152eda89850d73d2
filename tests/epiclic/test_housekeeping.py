"""Housekeeping: each huey log line printed once; expired sessions cleared daily."""

from __future__ import annotations

import datetime
import logging

from django.contrib.sessions.models import Session
from django.utils import timezone
from huey.consumer_options import ConsumerConfig

from epiclic.tasks import sessions_clear_task


def printing_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The console handlers a record of ``logger`` reaches (as ``Logger.callHandlers`` walks);
    pytest's capture handlers, subclasses, are left out."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        found += [h for h in current.handlers if type(h) is logging.StreamHandler]
        current = current.parent if current.propagate else None  # type: ignore[assignment]
    return found


def test_a_huey_log_line_is_printed_once_by_the_worker(monkeypatch):
    logger = logging.getLogger("huey")
    monkeypatch.setattr(logger, "handlers", list(logger.handlers))
    # What ``manage.py run_huey`` does before starting the consumer:
    if not logger.handlers:
        ConsumerConfig(workers=1).setup_logger(logger)
    assert len(printing_handlers(logger)) == 1


def test_expired_sessions_are_cleared_by_the_daily_task(db):
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=now)
    Session.objects.create(
        session_key="b" * 32, session_data="x", expire_date=now + datetime.timedelta(days=1)
    )
    sessions_clear_task.call_local()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
