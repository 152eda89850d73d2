"""A sales batch keeps its short lease while it is being sent (heartbeat), so a slow Escarcelle
never lets a second worker take rows that are still on their way; a killed worker's rows are
free again after the short lease, for the next sweep."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone

from escarcelle.sales import services
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import LEASE, sales_deliver, sales_sweep
from tests.escarcelle.sales.helpers import closed_distribution, validate


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch):
    monkeypatch.setattr("escarcelle.sales.tasks.sales_deliver_task", lambda pk: None)


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own connection
def test_a_slow_batch_renews_its_lease_while_it_is_sent(seeded_sim, shop, monkeypatch):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=3, lines=1)
    validate(scene)
    monkeypatch.setattr(services, "HEARTBEAT_S", 0.05)
    seen: list[datetime.datetime | None] = []
    send = services._send_batch

    def slow_send(client, rows, **kwargs):
        first = SaleOutbox.objects.get(pk=rows[0].pk).claimed_until
        time.sleep(0.5)  # a slow Escarcelle: the heartbeat beats meanwhile
        seen.extend([first, SaleOutbox.objects.get(pk=rows[0].pk).claimed_until])
        return send(client, rows, **kwargs)

    monkeypatch.setattr(services, "_send_batch", slow_send)
    assert sales_deliver(distribution=scene.distribution).sent == 3
    first, renewed = seen
    assert first is not None and renewed is not None
    assert renewed - first >= datetime.timedelta(seconds=0.3)


def test_a_dead_workers_rows_are_swept_within_a_minute(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=2, lines=1)
    validate(scene)
    now = timezone.now()
    SaleOutbox.objects.update(claimed_until=now + LEASE, claim_token="killed-worker")
    assert LEASE <= datetime.timedelta(seconds=30)
    assert sales_sweep(now=now + datetime.timedelta(seconds=10)).sent == 0  # still its lease
    assert sales_sweep(now=now + datetime.timedelta(minutes=1)).sent == 2
    assert SaleOutbox.objects.filter(status=SaleStatus.SENT).count() == 2
