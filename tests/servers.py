"""Real servers started by tests on loopback: a free port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

import httpx

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], T], *, timeout: float, what: str, every: float = 0.2) -> T:
    """``check()``'s first true result within ``timeout`` seconds; else the test fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str, server: subprocess.Popen) -> bool:
    """Whether the ``server`` process answers ``url`` (any status); it must not have exited."""
    assert server.poll() is None, f"the server exited with {server.returncode}"
    try:
        httpx.get(url, timeout=2)
    except httpx.TransportError:
        return False
    return True
