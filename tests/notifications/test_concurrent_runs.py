"""Two workers running the same notification at the same moment (PostgreSQL, where they really
overlap): the unique key lets one write the log, the other finds it and sends nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from epiclic.models import OutgoingEmail
from notifications import services
from notifications.models import Notification
from tests.factories import make_distribution
from tests.notifications.helpers import beneficiaries


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_of_the_opening_write_each_person_once(shop, monkeypatch):
    distribution = make_distribution(shop=shop)
    beneficiaries(shop, 6)
    # Both runs have read the log (empty) before either writes: they really overlap.
    both_read = threading.Barrier(2, timeout=30)
    first_pass: set[int] = set()
    real_queue = services.email_queue_many

    def queue(drafts):
        if threading.get_ident() not in first_pass:
            first_pass.add(threading.get_ident())
            both_read.wait()
        return real_queue(drafts)

    monkeypatch.setattr(services, "email_queue_many", queue)
    written: list[int] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            written.append(services.orders_open_notify(distribution=distribution))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(written) == [0, 6]
    assert Notification.objects.count() == 6
    assert OutgoingEmail.objects.count() == 6  # the loser's e-mails rolled back with its rows
