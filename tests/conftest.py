"""Test setup shared by the whole suite: no network, factories, the tenancy check."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import translation

pytest_plugins = ["tests.fixtures_escarcelle", "tests.tenancy"]

# --- No network: any connection to a non-loopback address fails the test. ---------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(RuntimeError):
    pass


def _check_address(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets are local by definition.
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", "localhost.localdomain"):
        return
    try:
        if ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            return
    except ValueError:
        pass
    raise NetworkBlocked(f"Test tried to reach a non-loopback address: {host!r}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return [f"epiclic database: {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db['NAME']})"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A PostgreSQL-only test run on another database fails loudly; it never passes silently."""
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.fixturenames.append("_require_postgresql")


@pytest.fixture
def _require_postgresql(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.fail(
            "This test needs PostgreSQL: run with TEST_DATABASE_URL set, "
            "or deselect it with -m 'not postgresql'."
        )


# --- The task queue unreachable. ---------------------------------------------------------------


@pytest.fixture
def queue_down():
    """Huey on Redis at a closed loopback port: queueing raises redis' real ConnectionError.

    Tasks that the test runs itself (sweeps) are called directly, as the worker would.
    """
    from huey.contrib.djhuey import HUEY
    from huey.storage import RedisStorage

    storage, immediate = HUEY.storage, HUEY.immediate
    HUEY.immediate = False
    HUEY.storage = RedisStorage(HUEY.name, url="redis://127.0.0.1:9/0")
    try:
        yield HUEY
    finally:
        HUEY.immediate = immediate
        HUEY.storage = storage


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the ordering page caches its product list)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _french_by_default() -> Iterator[None]:
    """Every test starts in French, whatever language an earlier test left active."""
    translation.activate("fr")
    yield
    translation.deactivate()
