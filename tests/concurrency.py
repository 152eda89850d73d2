"""The one scaffold of the concurrency tests: calls run in threads that start together."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connections

T = TypeVar("T")


def run_together(*calls: Callable[[], T], timeout: float = 120) -> list[T]:
    """Run each call in its own thread, all released at the same moment, and return what each
    returned, in the calls' order.

    Each thread has its own database connection (a real concurrent transaction on
    PostgreSQL; on SQLite, ``BEGIN IMMEDIATE`` serialises the writers) and closes it when
    done, so the test database is not held open. A call that raises fails the test with its
    exception once every thread has ended; a thread still running after ``timeout`` seconds
    fails it too. A test that needs the threads to meet again later (both have read, both
    hold a claim) patches its own barrier or event into the code under test.
    """
    start = threading.Barrier(len(calls), timeout=30)
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(n: int, call: Callable[[], T]) -> None:
        try:
            start.wait()
            results[n] = call()
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(n, call), name=f"together-{n}")
        for n, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if errors:
        raise errors[0]
    running = [thread.name for thread in threads if thread.is_alive()]
    assert not running, f"still running after {timeout} s: {running}"
    return results
