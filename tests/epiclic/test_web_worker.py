"""epiclic.web_worker.FairThreadWorker: gunicorn's threaded worker that takes a connection
only when one of its threads is free, so that a rush waits in one queue for every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.servers import answers, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKER = "epiclic.web_worker.FairThreadWorker"


def _serve(*, workers: int, threads: int, worker_class: str = WORKER) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(GUNICORN), "tests.epiclic.sleepy_wsgi:app", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(workers), "--threads", str(threads), "--keep-alive", "5"]
        + ["--worker-class", worker_class],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(f"{base}/0", process), timeout=30, what="gunicorn")
        # Every worker booted (the first answer may come before the second worker is up).
        time.sleep(1.0)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        # A clean stop on SIGTERM: the worker's loop ends and the arbiter exits 0.
        assert code == 0, process.stderr.read().decode() if process.stderr else code


@pytest.fixture
def two_workers_one_thread() -> Iterator[str]:
    yield from _serve(workers=2, threads=1)


@pytest.fixture
def one_worker_one_thread() -> Iterator[str]:
    yield from _serve(workers=1, threads=1)


def _get(url: str) -> tuple[float, str]:
    started = time.monotonic()
    response = httpx.get(url, timeout=30, headers={"Connection": "close"})
    response.raise_for_status()
    return time.monotonic() - started, response.text


def test_a_busy_worker_leaves_new_connections_to_the_free_one(two_workers_one_thread):
    base = two_workers_one_thread
    with ThreadPoolExecutor(max_workers=8) as pool:
        slow = pool.submit(_get, f"{base}/2000")
        time.sleep(0.3)  # the slow request holds one worker's only thread
        quick = [pool.submit(_get, f"{base}/20") for _ in range(6)]
        quick_results = [future.result() for future in quick]
        slow_took, slow_pid = slow.result()
    # None of the quick requests queued behind the slow one: the free worker took them all.
    assert max(took for took, _pid in quick_results) < 1.5, quick_results
    assert slow_pid not in {pid for _took, pid in quick_results}
    assert slow_took >= 2.0


def test_a_burst_of_connections_is_all_answered(two_workers_one_thread):
    base = two_workers_one_thread
    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(_get, [f"{base}/10"] * 80))
    served_by = {pid for _took, pid in results}
    assert len(results) == 80
    assert len(served_by) == 2  # both workers served the burst


def test_an_idle_keep_alive_connection_does_not_hold_the_thread(one_worker_one_thread):
    base = one_worker_one_thread
    with httpx.Client(timeout=10) as keeping:  # HTTP/1.1: the connection is kept alive
        assert keeping.get(f"{base}/0").status_code == 200
        # Its connection stays open and idle; another person is still answered at once.
        took, _pid = _get(f"{base}/0")
        assert took < 1.0
        assert keeping.get(f"{base}/0").status_code == 200
