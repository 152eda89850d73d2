"""Small builders shared by the emulator tests."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest


def sale_body(product_id: str, quantity: str = "1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_ref": f"EPICLIC-{uuid.uuid4().hex[:8]}",
        "date": "2026-11-27T10:15:00+01:00",
        "beneficiary_id": None,
        "lines": [
            {"product_id": product_id, "quantity": quantity, "unit_price": "0.39",
             "shelf_price": "1.29"},
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


def key() -> str:
    return str(uuid.uuid4())


def wait_for_claim(db_path: Path, idem: str, timeout: float = 15.0) -> None:
    """Until the server holds `idem` in flight (a deadline, not a guess at how long it takes)."""
    deadline = time.monotonic() + timeout
    with sqlite3.connect(db_path) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT state FROM idempotency_keys WHERE key = ?", (idem,)
            ).fetchone()
            if row == ("in_flight",):
                return
            time.sleep(0.01)
    pytest.fail(f"the server never claimed the key {idem}")
