"""/sante/, /sante/pret/ and /metrics: no sign-in for health, a token for metrics, no grocery
data in either, and never an exception."""

from __future__ import annotations

import datetime
import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.utils import timezone

from epiclic import metrics
from epiclic.logs import ShopFilter
from escarcelle.sales.models import SaleStatus
from escarcelle.sales.tasks import sales_sweep_task
from operators.tasks import heartbeat_record
from shops.access import member_view
from tests.factories import make_sale

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_sign_in(client):
    response = client.get("/sante/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_is_ready_when_the_tick_ran_recently(client):
    heartbeat_record()
    response = client.get("/sante/pret/")
    assert response.status_code == 200
    assert response.json() == {"status": "pret", "database": "ok", "queue": "ok", "tick": "ok"}


def test_readiness_is_not_ready_when_the_tick_is_late_or_never_ran(client):
    assert client.get("/sante/pret/").json()["tick"] == "jamais"
    heartbeat_record(now=timezone.now() - datetime.timedelta(minutes=4))
    response = client.get("/sante/pret/")
    assert response.status_code == 503
    assert response.json()["tick"] == "en retard"


def test_readiness_with_the_database_down_answers_503_without_raising(client):
    with mock.patch(
        "django.db.backends.base.base.BaseDatabaseWrapper.cursor",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/sante/pret/")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "injoignable"
    assert body["status"] == "pas pret"


def test_readiness_with_the_queue_down_answers_503(client):
    heartbeat_record()
    with mock.patch("operators.health.HUEY.pending_count", side_effect=ConnectionError("down")):
        response = client.get("/sante/pret/")
    assert response.status_code == 503
    assert response.json()["queue"] == "injoignable"


def test_metrics_do_not_exist_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_metrics_list_requests_tasks_sales_stale_syncs_and_escarcelle_latency(
    client, settings, shop
):
    settings.METRICS_TOKEN = "s3cret-token"
    metrics.task_observe(task="sales_sweep_task", failed=True)
    metrics.escarcelle_call_observe(method="GET", outcome=200, seconds=0.12)
    client.get("/sante/")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'epiclic_http_requests_total{status="200",view="health"}' in text
    assert 'epiclic_task_runs_total{task="sales_sweep_task"}' in text
    assert 'epiclic_task_failures_total{task="sales_sweep_task"}' in text
    assert 'epiclic_escarcelle_call_seconds_count{method="GET",outcome="200"}' in text
    assert "epiclic_sales_pending 0.0" in text
    assert "epiclic_sales_failed 0.0" in text
    assert "epiclic_shops_stock_sync_stale 0.0" in text
    assert "epiclic_database_up 1.0" in text
    assert shop.slug not in text


def test_metrics_count_the_huey_task_runs(client, settings):
    """A task run in the worker (immediate mode here) is counted by the huey signal."""
    settings.METRICS_TOKEN = "t"
    sales_sweep_task()
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert 'epiclic_task_runs_total{task="sales_sweep_task"}' in text


def test_sales_totals_count_pending_and_failed(client, settings, shop):
    settings.METRICS_TOKEN = "t"
    for status in (SaleStatus.PENDING, SaleStatus.FAILED, SaleStatus.FAILED):
        make_sale(shop=shop, status=status)
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert "epiclic_sales_pending 1.0" in text
    assert "epiclic_sales_failed 2.0" in text


def test_log_lines_written_by_a_shop_page_carry_the_shop_slug(rf, shop, manager):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(ShopFilter())
    logger = logging.getLogger("tests.shop_page")
    logger.addHandler(handler)

    @member_view
    def page(request):
        logger.warning("inside the page")
        return HttpResponse("ok")

    request = rf.get("/")
    request.user = manager
    try:
        page(request, shop_slug=shop.slug)
        logger.warning("after the page")
    finally:
        logger.removeHandler(handler)
    assert [(r.getMessage(), r.shop) for r in records] == [
        ("inside the page", shop.slug),
        ("after the page", None),
    ]
