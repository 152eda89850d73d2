"""Helpers shared by the stock property tests."""

from __future__ import annotations

from typing import Any

from distributions.models import Order
from escarcelle.client import EscarcelleClient


def post_online_order(
    client: EscarcelleClient, online: Order, escarcelle_id: str, *, key: str
) -> Any:
    """Record a one-line online order in Escarcelle as the sales push would; its sale."""
    line = online.lines.get()
    return client.post_sale(
        {
            "external_ref": f"EPICLIC-ORDER-{online.pk}",
            "date": online.created_at.isoformat(),
            "beneficiary_id": None,
            "lines": [
                {
                    "product_id": escarcelle_id,
                    "quantity": str(line.quantity),
                    "unit_price": str(line.unit_price),
                    "shelf_price": str(line.shelf_price),
                }
            ],
        },
        idempotency_key=key,
    )
