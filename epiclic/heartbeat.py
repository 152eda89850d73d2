"""Keep a lease alive while long work runs, so that a short lease can say "this worker died".

A lease (``claimed_until``) is taken short, and a background thread renews it every ``every``
seconds while the work runs. A worker killed mid-work stops renewing; its lease lapses within
one lease length and another worker takes the work over, instead of waiting for a long lease
sized for the slowest run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

from django.db import connection

log = logging.getLogger("epiclic.heartbeat")


class Heartbeat:
    """``with Heartbeat(renew, every=10):`` calls ``renew(elapsed_s)`` every ``every`` s.

    ``renew`` runs in a thread with its own database connection (closed at the end). A failed
    renewal is logged and tried again at the next beat; it never stops the work.
    """

    def __init__(self, renew: Callable[[float], object], *, every: float, name: str) -> None:
        self.renew = renew
        self.every = every
        self.name = name
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{name}", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.renew(time.monotonic() - self._started)
                except Exception:
                    log.warning("heartbeat %s: could not renew the lease", self.name, exc_info=True)
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every)
