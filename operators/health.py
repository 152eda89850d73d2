"""Health checks for the load balancer and the orchestrator: JSON, no sign-in, no grocery data.

- ``/sante/``: liveness, the process answers (no database, no queue).
- ``/sante/pret/``: readiness: the database answers, the task queue answers, and the worker's
  periodic tick ran within the last 3 minutes. 200 when all three hold, 503 otherwise, with the
  state of each. It never raises: a check that fails says so in the body.
"""

from __future__ import annotations

import datetime
import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from huey.contrib.djhuey import HUEY

from operators.models import Heartbeat
from operators.tasks import TICK

log = logging.getLogger("operators.health")

TICK_MAX_AGE = datetime.timedelta(minutes=3)
OK = "ok"
DOWN = "injoignable"


@never_cache
def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": OK})


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        log.warning("readiness: database unreachable", exc_info=True)
        return DOWN
    return OK


def _queue() -> str:
    try:
        HUEY.pending_count()
    except Exception:
        log.warning("readiness: task queue unreachable", exc_info=True)
        return DOWN
    return OK


def _tick(now: datetime.datetime) -> str:
    try:
        last = Heartbeat.objects.filter(name=TICK).values_list("at", flat=True).first()
    except Exception:
        return "inconnu"
    if last is None:
        return "jamais"
    return OK if now - last <= TICK_MAX_AGE else "en retard"


@never_cache
def readiness(request: HttpRequest) -> JsonResponse:
    try:
        checks = {"database": _database(), "queue": _queue()}
        checks["tick"] = _tick(timezone.now()) if checks["database"] == OK else "inconnu"
        ready = all(value == OK for value in checks.values())
    except Exception:  # belt and braces: the probe gets an answer whatever happens
        log.exception("readiness check failed")
        checks, ready = {"database": "inconnu"}, False
    return JsonResponse(
        {"status": "pret" if ready else "pas pret", **checks}, status=200 if ready else 503
    )
