"""A WSGI application for tests/epiclic/test_web_worker.py: answers after sleeping the number
of milliseconds in its path (``/250``), with the serving process's id."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    time.sleep(int(environ["PATH_INFO"].strip("/") or 0) / 1000)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
