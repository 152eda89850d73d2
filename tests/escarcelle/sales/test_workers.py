"""Workers racing each other, and a worker killed with SIGKILL in the middle of a batch."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from escarcelle.sales import services
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import LEASE, sales_deliver, sales_sweep
from tests.concurrency import run_together
from tests.escarcelle.sales.helpers import (
    assert_exactly_once,
    closed_distribution,
    validate,
    wait_until,
)


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch):
    """The validation's task is not run: the workers below do the delivery."""
    monkeypatch.setattr("escarcelle.sales.tasks.sales_deliver_task", lambda pk: None)


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_the_same_time_never_send_a_sale_twice(
    seeded_sim, shop, monkeypatch
):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=24, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    # No worker sends its first batch before both hold a claim: they really overlap.
    claimers: set[int] = set()
    both_claimed = threading.Condition()
    real_claim, real_send = services.sales_claim, services._send_batch

    def claim(**kwargs):
        token, rows = real_claim(**kwargs)
        if rows:
            with both_claimed:
                claimers.add(threading.get_ident())
                both_claimed.notify_all()
        return token, rows

    def send(*args, **kwargs):
        with both_claimed:
            assert both_claimed.wait_for(lambda: len(claimers) == 2, timeout=30)
        return real_send(*args, **kwargs)

    monkeypatch.setattr(services, "sales_claim", claim)
    monkeypatch.setattr(services, "_send_batch", send)

    def worker() -> services.DeliveryReport:
        return sales_deliver(distribution=scene.distribution, batch_size=3)

    reports = run_together(worker, worker)  # an error in either fails the test
    assert all(r.sent > 0 for r in reports) and len(reports) == 2
    # Each sale was sent by exactly one worker: a row sent by both would count twice.
    assert sum(r.sent for r in reports) == 24
    assert SaleOutbox.objects.filter(status=SaleStatus.SENT).count() == 24
    assert_exactly_once(seeded_sim, scene.distribution, before)


WORKER = textwrap.dedent(
    """
    import os, signal, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "epiclic.settings_test"
    from django.conf import settings
    settings.DATABASES["default"]["NAME"] = sys.argv[1]
    settings.ESCARCELLE_BASE_URL = sys.argv[3]
    settings.ESCARCELLE_READ_TIMEOUT = 60.0
    import django
    django.setup()
    import httpx
    from distributions.models import Distribution
    from escarcelle.sales import services
    mode, marker = sys.argv[4], sys.argv[5]
    if mode == "in_flight":
        # Tell the test when the batch request goes on the wire.
        send = httpx.HTTPTransport.handle_request
        def handle_request(self, request):
            if request.url.path.endswith("/sales/batch"):
                open(marker, "w").close()
            return send(self, request)
        httpx.HTTPTransport.handle_request = handle_request
    else:
        # Die after Escarcelle answered (and committed), before our own commit.
        def write_back(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        services._write_back = write_back
    services.sales_deliver(
        distribution=Distribution.objects.get(pk=int(sys.argv[2])), call_retries=0
    )
    """
)


def _start_worker(seeded_sim, scene, mode: str, marker) -> subprocess.Popen:
    args = [connection.settings_dict["NAME"], str(scene.distribution.pk), seeded_sim.base_url]
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args, mode, str(marker)], cwd=settings.BASE_DIR
    )


def _lease_expires_then_the_sweeper_sends_everything_once(seeded_sim, scene, before) -> None:
    claimed = SaleOutbox.objects.filter(status=SaleStatus.PENDING, claimed_until__isnull=False)
    assert claimed.count() == 10  # a dead worker's claim: nobody else takes them yet
    assert sales_sweep().sent == 0
    # The lease expires; the sweeper (the restarted worker) sends them, with the same keys.
    later = timezone.now() + LEASE + datetime.timedelta(seconds=1)
    assert sales_sweep(now=later).sent == 10
    assert_exactly_once(seeded_sim, scene.distribution, before)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_nothing_lost_and_nothing_doubled(
    seeded_sim, shop, tmp_path
):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=10, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    # Escarcelle takes 4 s to answer: the worker is killed while its request is in flight.
    seeded_sim.set_faults(latency_ms=4000, paths=["/api/v1/sales/batch"])
    marker = tmp_path / "on-the-wire"
    worker = _start_worker(seeded_sim, scene, "in_flight", marker)
    try:
        wait_until(
            lambda: marker.exists() or worker.poll() is not None,
            "the worker sends its batch",
            timeout=60,
        )
        assert worker.poll() is None, "the worker ended before sending its batch"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -signal.SIGKILL
    seeded_sim.clear_faults()
    _lease_expires_then_the_sweeper_sends_everything_once(seeded_sim, scene, before)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_escarcelle_committed_gets_replays_not_second_sales(
    seeded_sim, shop, tmp_path
):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=10, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    worker = _start_worker(seeded_sim, scene, "after_answer", tmp_path / "unused")
    assert worker.wait(timeout=120) == -signal.SIGKILL
    assert len(seeded_sim.sales()) == 10  # Escarcelle recorded them; Epiclic never learnt it
    _lease_expires_then_the_sweeper_sends_everything_once(seeded_sim, scene, before)
