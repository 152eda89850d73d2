"""Pytest plugin: a real Escarcelle emulator over HTTP, and fresh accounts on it.

- `escarcelle_server` (session): the emulator as a subprocess on a free loopback port.
  `.base_url` is e.g. `http://127.0.0.1:PORT`, *without* `/api/v1` (the client appends it).
- `escarcelle` (function): a fresh account on that server, as a `SimAccount`.
- `make_escarcelle_account` (function): a factory, `make_escarcelle_account(name=...)`.

Faults and rate limits set through a `SimAccount` only touch that account, so tests that share
the server do not disturb each other.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import free_port

ADMIN_TOKEN = "test-admin-token"
_names = itertools.count(1)


class SimServer:
    def __init__(self, *, db_path: Path, port: int, admin_token: str = ADMIN_TOKEN) -> None:
        self.db_path = db_path
        self.port = port
        self.admin_token = admin_token
        self.base_url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = db_path.with_suffix(".log")

    def start(self, timeout: float = 15.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "escarcelle_sim",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--db",
                str(self.db_path),
                "--admin-token",
                self.admin_token,
            ],  # fmt: skip
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"Escarcelle emulator exited; see {self.log_path}")
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Escarcelle emulator not ready after {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def kill(self) -> None:
        """Stop at once (SIGKILL), as a crash or a power cut would: no graceful shutdown."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.base_url}/admin/api",
            headers={"X-Admin-Token": self.admin_token},
            trust_env=False,
            timeout=30.0,
        )

    def create_account(self, name: str | None = None) -> SimAccount:
        name = name or f"Épicerie de test n°{next(_names)}"
        with self.admin() as client:
            response = client.post("/accounts", json={"name": name})
            response.raise_for_status()
            data = response.json()
        return SimAccount(self, account_id=data["id"], api_key=data["api_key"], name=name)


class SimAccount:
    """One account on the emulator, with helpers that go through the admin and public APIs."""

    def __init__(self, server: SimServer, *, account_id: str, api_key: str, name: str) -> None:
        self.server = server
        self.base_url = server.base_url
        self.account_id = account_id
        self.api_key = api_key
        self.name = name

    # --- admin side (what happens in the shop) -----------------------------------------

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        with self.server.admin() as client:
            response = client.request(method, f"/accounts/{self.account_id}{path}", **kwargs)
            response.raise_for_status()
            return response.json() if response.content else None

    def seed(self, products: int = 20, beneficiaries: int = 5, seed: int = 1) -> dict[str, int]:
        body = {"products": products, "beneficiaries": beneficiaries, "seed": seed}
        return self._admin("POST", "/seed", json=body)

    def _move(self, product_id: str, reason: str, quantity: Decimal | str | int) -> dict:
        body = {"product_id": product_id, "reason": reason, "quantity": str(quantity)}
        return self._admin("POST", "/movements", json=body)

    def sell_in_shop(self, product_id: str, quantity: Decimal | str | int) -> dict:
        return self._move(product_id, "in_shop_sale", quantity)

    def restock(self, product_id: str, quantity: Decimal | str | int) -> dict:
        return self._move(product_id, "restock", quantity)

    def adjust(self, product_id: str, quantity: Decimal | str | int) -> dict:
        return self._move(product_id, "adjustment", quantity)

    def create_product(self, **fields: Any) -> dict:
        return self._admin("POST", "/products", json=fields)

    def update_product(self, product_id: str, **fields: Any) -> dict:
        return self._admin("PATCH", f"/products/{product_id}", json=fields)

    def archive_product(self, product_id: str) -> dict:
        return self._admin("POST", f"/products/{product_id}/archive")

    def update_beneficiary(self, beneficiary_id: str, **fields: Any) -> dict:
        return self._admin("PATCH", f"/beneficiaries/{beneficiary_id}", json=fields)

    def set_faults(self, **faults: Any) -> dict:
        return self._admin("PUT", "/faults", json=faults)

    def clear_faults(self) -> None:
        self._admin("DELETE", "/faults")

    def set_webhook_faults(self, **faults: Any) -> dict:
        """Faults of webhook deliveries: error_rate, latency_ms, duplicate_rate, reorder_rate."""
        return self._admin("PUT", "/webhook-faults", json=faults)

    def clear_webhook_faults(self) -> None:
        self._admin("DELETE", "/webhook-faults")

    def set_rate_limit(self, per_minute: int | None) -> None:
        self._admin("PUT", "/rate-limit", json={"per_minute": per_minute})

    def revoke_key(self) -> None:
        self._admin("POST", "/keys/revoke")

    def rotate_key(self) -> str:
        self.api_key = self._admin("POST", "/keys/rotate")["api_key"]
        return self.api_key

    # --- public side (what the connector sees), always with the current key ------------

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on `/api/v1` with this account's key."""
        kwargs.setdefault("timeout", 10.0)
        return httpx.Client(
            base_url=f"{self.base_url}/api/v1",
            headers={"Authorization": f"Bearer {self.api_key}"},
            trust_env=False,
            **kwargs,
        )

    def _all(self, path: str) -> list[dict]:
        items: list[dict] = []
        params: dict[str, Any] = {"limit": 500}
        with self.client() as client:
            while True:
                response = client.get(path, params=params)
                response.raise_for_status()
                page = response.json()
                items += page["data"]
                if not page["next_cursor"]:
                    return items
                params = {"limit": 500, "cursor": page["next_cursor"]}

    def products(self) -> list[dict]:
        return self._all("/products")

    def beneficiaries(self) -> list[dict]:
        return self._all("/beneficiaries")

    def stock(self) -> dict[str, Decimal]:
        return {row["product_id"]: Decimal(row["quantity"]) for row in self._all("/stock")}

    def sales(self) -> list[dict]:
        return self._all("/sales")

    def sequence(self) -> int:
        with self.client() as client:
            response = client.get("/stock/changes", params={"since": 2**61, "limit": 1})
            response.raise_for_status()
            return response.json()["sequence"]


@pytest.fixture(scope="session")
def escarcelle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    db_path = tmp_path_factory.mktemp("escarcelle") / "escarcelle-sim.sqlite3"
    server = SimServer(db_path=db_path, port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_escarcelle_account(escarcelle_server: SimServer) -> Callable[..., SimAccount]:
    def make(name: str | None = None) -> SimAccount:
        return escarcelle_server.create_account(name)

    return make


@pytest.fixture
def escarcelle(make_escarcelle_account: Callable[..., SimAccount]) -> Iterator[SimAccount]:
    account = make_escarcelle_account()
    yield account
    if account.server.process is not None:
        try:
            account.clear_faults()
        except httpx.HTTPError:
            pass
