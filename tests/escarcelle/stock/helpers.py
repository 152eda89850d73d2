"""Helpers shared by the stock property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from distributions.models import Order
from escarcelle.client import EscarcelleClient

# The moves of the availability property: (action, product index or pick, quantity).
STOCK_MOVES = (
    st.tuples(st.just("shop_sale"), st.integers(0, 1), st.integers(1, 3)),
    st.tuples(st.just("restock"), st.integers(0, 1), st.integers(1, 3)),
    st.tuples(st.just("order"), st.integers(0, 1), st.integers(1, 3)),
    st.tuples(st.just("post"), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("read"), st.just(0), st.just(0)),
)


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
