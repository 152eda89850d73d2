"""gunicorn settings for `make run` (read from the environment; docs/operations.md).

Sized for a small machine (2 cores): a few worker processes with threads, because a request
mostly waits on the database. The listen backlog holds a rush of connections (200 people
opening the ordering page at once) instead of refusing them, and the workers take them from it
first come, first served, each only when it has a free thread (epiclic/web_worker.py).
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

bind = os.environ.get("WEB_BIND") or f"127.0.0.1:{os.environ.get('EPICLIC_PORT') or '8000'}"
workers = int(os.environ.get("WEB_WORKERS") or multiprocessing.cpu_count() + 1)
worker_class = "epiclic.web_worker.FairThreadWorker"
threads = int(os.environ.get("WEB_THREADS") or 4)
backlog = int(os.environ.get("WEB_BACKLOG") or 2048)
timeout = int(os.environ.get("WEB_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (a leak stays small), not all at the same moment.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "").lower() in ("1", "true", "yes") else None
proc_name = "epiclic-web"


def child_exit(server: Any, worker: Any) -> None:
    """A dead worker's Prometheus figures stop counting as live ones (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
