"""The Prometheus endpoint (``/metrics``, behind ``METRICS_TOKEN``) and the figures read from
the database at scrape time. The process counters are in ``epiclic.metrics``."""

from __future__ import annotations

import datetime
import logging
import os
import secrets
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from huey.contrib.djhuey import HUEY
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from epiclic import metrics
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.stock.models import StockSyncState
from escarcelle.stock.services import shops_to_sync
from shops.models import Shop

log = logging.getLogger("operators.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STALE_AFTER = datetime.timedelta(hours=2)


def task_signals_connect() -> None:
    """Count every task run and failure, in the process that runs it (the worker)."""

    @HUEY.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)
    def _task_done(signal: str, task: Any, exc: BaseException | None = None) -> None:
        metrics.task_observe(task=task.name, failed=signal == SIGNAL_ERROR)


def stale_stock_sync_count(*, now: datetime.datetime) -> int:
    """Groceries in the hourly round whose last successful stock sync is over 2 h old (or that
    never had one)."""
    return (
        Shop.objects.filter(pk__in=shops_to_sync(), suspended_at__isnull=True)
        .exclude(
            pk__in=StockSyncState.objects.filter(last_success_at__gte=now - STALE_AFTER).values(
                "shop_id"
            )
        )
        .count()
    )


class DatabaseCollector(Collector):
    """Totals over the fleet, two queries per scrape; never about one grocery."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("epiclic_database_up", "1 when the scrape could read the database")
        try:
            sales = SaleOutbox.objects.aggregate(
                pending=Count("pk", filter=Q(status=SaleStatus.PENDING)),
                failed=Count("pk", filter=Q(status=SaleStatus.FAILED)),
            )
            stale = stale_stock_sync_count(now=timezone.now())
        except Exception:  # a scrape never fails: it says the database is unreadable
            log.exception("metrics: database figures unavailable")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for status in ("pending", "failed"):
            gauge = GaugeMetricFamily(
                f"epiclic_sales_{status}", f"Sales to Escarcelle {status}, all groceries"
            )
            gauge.add_metric([], sales[status])
            yield gauge
        gauge = GaugeMetricFamily(
            "epiclic_shops_stock_sync_stale",
            "Groceries whose last successful stock sync is older than 2 hours",
        )
        gauge.add_metric([], stale)
        yield gauge


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        recorded = generate_latest(processes)
    else:
        recorded = generate_latest(REGISTRY)
    database = CollectorRegistry()
    database.register(DatabaseCollector())
    return recorded + generate_latest(database)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        response = HttpResponse("token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not secrets.compare_digest(header.removeprefix("Bearer ").strip(), expected):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
