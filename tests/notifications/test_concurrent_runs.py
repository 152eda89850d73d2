"""Two workers running the same notification at the same moment (PostgreSQL, where they really
overlap): the unique key lets one write the log, the other finds it and sends nothing."""

from __future__ import annotations

import threading

import pytest

from epiclic.models import OutgoingEmail
from notifications import services
from notifications.models import Notification
from tests.concurrency import run_together
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

    def worker() -> int:
        return services.orders_open_notify(distribution=distribution)

    written = run_together(worker, worker, timeout=60)  # an error in either fails the test
    assert sorted(written) == [0, 6]
    assert Notification.objects.count() == 6
    assert OutgoingEmail.objects.count() == 6  # the loser's e-mails rolled back with its rows
