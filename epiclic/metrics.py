"""Prometheus metrics recorded by the processes (web and worker).

Counters and histograms live here so that any layer may record them (the Escarcelle client
records its call latency). The figures read from the database at scrape time (sales pending,
stale stock syncs) and the endpoint itself are in ``operators.metrics``.

With several processes (gunicorn workers, huey consumer), set ``PROMETHEUS_MULTIPROC_DIR`` to
an empty directory shared by them (``make run`` does): each process writes its figures there
and the endpoint adds them up (docs/operations.md, "Health and metrics").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "epiclic_http_requests_total", "HTTP requests answered, by view and status", ["view", "status"]
)
TASK_RUNS = Counter("epiclic_task_runs_total", "Background task runs, by task", ["task"])
TASK_FAILURES = Counter(
    "epiclic_task_failures_total", "Background task runs that raised, by task", ["task"]
)
ESCARCELLE_CALLS = Histogram(
    "epiclic_escarcelle_call_seconds",
    "Latency of HTTP calls to Escarcelle, by method and outcome (HTTP status or error)",
    ["method", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60),
)


def escarcelle_call_observe(*, method: str, outcome: int | str, seconds: float) -> None:
    ESCARCELLE_CALLS.labels(method=method, outcome=str(outcome)).observe(seconds)


def task_observe(*, task: str, failed: bool) -> None:
    TASK_RUNS.labels(task=task).inc()
    if failed:
        TASK_FAILURES.labels(task=task).inc()


class RequestMetricsMiddleware:
    """Counts every answer by view name (the URL pattern's name, never the path: bounded
    labels, and no shop slug in the metrics) and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        match: Any = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match is not None else "unresolved"
        REQUESTS.labels(view=view, status=str(response.status_code)).inc()
        return response
