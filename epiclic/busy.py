"""A rush never answers 400/500 because the database is busy.

- ``retry_on_lock(write)`` runs a short write transaction again when SQLite reports that its
  write lock is taken ("database is locked") or PostgreSQL reports a deadlock or a
  serialization failure: the whole transaction, from its first read, so nothing half-done is
  kept. Use it around services that write at the busiest moments (the order confirmation).
- ``BusyMiddleware`` turns a lock error that outlived the retries into HTTP 503 with a French
  page, "trop de monde, réessayez dans un instant", and ``Retry-After``: nothing was written
  (the transaction rolled back) and the beneficiary's cart is still there.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger("epiclic.busy")

T = TypeVar("T")
ATTEMPTS = 2  # SQLite already waited its busy timeout before reporting a lock
RETRY_AFTER_S = 5
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_PG_CODES = {"40001", "40P01", "55P03"}


def is_lock_error(error: BaseException) -> bool:
    if isinstance(error, OperationalError) and "database is locked" in str(error):
        return True
    cause = getattr(error, "__cause__", None)
    return isinstance(error, DatabaseError) and getattr(cause, "sqlstate", None) in _PG_CODES


def retry_on_lock(write: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """``write()`` (one transaction of its own), run again on a lock error, with jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except DatabaseError as error:
            if not is_lock_error(error) or attempt == attempts or connection.in_atomic_block:
                raise
            log.info("database busy, attempt %s of %s: retrying", attempt, attempts)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")


class BusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_lock_error(exception):
            return None
        log.warning("database busy: %s %s answered 503", request.method, request.path)
        response = HttpResponse(render_to_string("busy.html", request=request), status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
