"""Queueing a background task never turns a request into an error.

The work a task does is always recorded in the database first (a pending sale, a sync
request, a pending import plan, an e-mail row); queueing the task is only the fast path. When
the queue is unreachable (Redis down, huey's SQLite file locked), ``enqueue`` logs it and
answers False, and a periodic sweep does the work later. Callers may tell the user so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("epiclic.queue")


def enqueue(task: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """Queue ``task(*args, **kwargs)``; False (logged, never raised) when the queue is down."""
    try:
        task(*args, **kwargs)
    except Exception as error:  # redis.ConnectionError, sqlite3.OperationalError, timeouts…
        name = getattr(task, "name", None) or getattr(task, "__name__", repr(task))
        log.warning(
            "could not queue %s (%s): a periodic sweep will do it", name, type(error).__name__
        )
        return False
    return True
