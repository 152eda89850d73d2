"""Small builders shared by the emulator tests."""

from __future__ import annotations

import uuid
from typing import Any


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
