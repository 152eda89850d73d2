"""The fault suite over real HTTP: whatever fails, every validated order reaches Escarcelle
exactly once, and Escarcelle's stock moves by exactly the delivered quantities."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.utils import timezone

from escarcelle.connection import connection_save
from escarcelle.models import Connection
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import LEASE, sales_deliver, sales_sweep
from tests.escarcelle.sales.helpers import (
    assert_exactly_once,
    closed_distribution,
    deliver_rounds,
    key_state,
    validate,
    wait_until,
)


def test_thirty_percent_of_requests_failing_still_delivers_every_sale_once(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=30, lines=3)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.set_faults(seed=7, error_rate=0.3)
    rounds = deliver_rounds(scene.distribution, batch_size=4)
    seeded_sim.clear_faults()
    assert rounds > 1  # the faults did bite
    assert SaleOutbox.objects.filter(attempts__gt=1).exists()
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_requests_slower_than_the_timeout_end_as_one_sale_each(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=5, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.set_faults(
        hang_s=4.0, paths=["/api/v1/sales/batch"]
    )  # the client's read timeout is 3 s
    report = sales_deliver(distribution=scene.distribution)
    assert report.sent == 0 and report.retry_later == 5
    pending = SaleOutbox.objects.filter(status=SaleStatus.PENDING)
    assert pending.count() == 5
    assert all(r.error_code == "timeout" and r.next_attempt_at for r in pending)
    seeded_sim.clear_faults()
    deliver_rounds(scene.distribution)
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_a_reset_after_escarcelle_committed_is_replayed_not_sold_twice(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=6, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.set_faults(reset_after_commit_rate=1.0, paths=["/api/v1/sales/batch"])
    report = sales_deliver(distribution=scene.distribution)
    assert report.sent == 0
    assert len(seeded_sim.sales()) == 6  # Escarcelle did record them
    seeded_sim.clear_faults()
    deliver_rounds(scene.distribution)
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_an_answer_that_is_not_json_is_retried_without_a_duplicate(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=4, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.set_faults(malformed_rate=1.0, paths=["/api/v1/sales/batch"])
    report = sales_deliver(distribution=scene.distribution)
    assert report.sent == 0
    assert {r.error_code for r in SaleOutbox.objects.all()} == {"malformed"}
    seeded_sim.clear_faults()
    deliver_rounds(scene.distribution)
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_escarcelle_down_for_hours_backs_off_then_delivers_everything_once(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=8, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.set_faults(outage_s=24 * 3600)
    clock = timezone.now()
    delays = []
    for _ in range(6):  # six hours of rounds, an hour apart
        report = sales_deliver(distribution=scene.distribution, now=clock)
        assert report.sent == 0 and report.requests == 1
        row = SaleOutbox.objects.order_by("id").first()
        delays.append(row.next_attempt_at - clock)
        clock += datetime.timedelta(hours=1)
    assert delays[-1] > delays[0]  # exponential back-off
    assert SaleOutbox.objects.filter(attempts=6, status=SaleStatus.PENDING).count() == 8
    seeded_sim.clear_faults()
    assert seeded_sim.sales() == []
    sales_sweep(now=clock)
    assert SaleOutbox.objects.filter(status=SaleStatus.SENT).count() == 8
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_the_sweeper_takes_up_sales_whose_task_was_lost(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=3, lines=2)
    validate(scene)  # the delivery task never runs (the queue was emptied)
    before = seeded_sim.stock()
    report = sales_sweep()
    assert report.sent == 3
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_a_claimed_sale_is_left_alone_until_its_lease_expires(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=2)
    validate(scene)
    now = timezone.now()
    SaleOutbox.objects.update(claimed_until=now + LEASE, claim_token="dead-worker")
    assert sales_sweep(now=now).sent == 0
    assert sales_sweep(now=now + LEASE + datetime.timedelta(seconds=1)).sent == 2


@pytest.mark.slow
def test_a_key_still_in_flight_elsewhere_is_retried_soon_and_ends_as_one_sale(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=3, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    busy = SaleOutbox.objects.order_by("id").first()
    # Another sender (say, a worker whose lease we wrongly took) holds the same key for 6 s:
    # far longer than our delivery takes, which starts only once the key is really held.
    seeded_sim.set_faults(latency_ms=6000, paths=["/api/v1/sales"])
    answers = []

    def other_sender() -> None:
        with seeded_sim.client(timeout=60.0) as client:
            headers = {"Idempotency-Key": busy.idempotency_key}
            answers.append(client.post("/sales", json=busy.payload, headers=headers))

    thread = threading.Thread(target=other_sender)
    thread.start()
    try:
        wait_until(
            lambda: key_state(seeded_sim, busy.idempotency_key) == "in_flight",
            "the other sender holds the key",
        )
        now = timezone.now()
        report = sales_deliver(distribution=scene.distribution, now=now)
    finally:
        thread.join()
    seeded_sim.clear_faults()
    assert answers[0].status_code == 201
    assert "Idempotent-Replayed" not in answers[0].headers
    busy.refresh_from_db()
    assert (report.sent, busy.status, busy.error_code) == (
        2,
        SaleStatus.PENDING,
        "idempotency_key_in_use",
    )
    assert busy.next_attempt_at <= now + datetime.timedelta(seconds=10)
    sales_deliver(distribution=scene.distribution, now=now + datetime.timedelta(seconds=10))
    busy.refresh_from_db()
    assert busy.status == SaleStatus.SENT
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_a_refused_key_holds_the_sales_until_a_new_key_is_saved(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=3, lines=2)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.revoke_key()
    clock = timezone.now()
    report = sales_deliver(distribution=scene.distribution, now=clock)
    assert (report.sent, report.retry_later) == (0, 3)
    assert Connection.objects.get(shop=shop).key_rejected_at is not None
    later = clock + datetime.timedelta(hours=2)
    assert sales_sweep(now=later).requests == 0  # no call with a key Escarcelle refuses
    assert SaleOutbox.objects.filter(status=SaleStatus.PENDING).count() == 3

    connection_save(shop=shop, user=None, api_key=seeded_sim.rotate_key())
    assert sales_sweep(now=later).sent == 3
    assert_exactly_once(seeded_sim, scene.distribution, before)
