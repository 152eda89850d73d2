"""Building a validated distribution on an emulator account, and the exactly-once check."""

from __future__ import annotations

import datetime
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from catalog.models import Product
from distributions.models import Distribution, Order, OrderLine, OrderStatus
from distributions.services import distribution_validate
from escarcelle.models import Connection
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import sales_deliver
from shops.models import Role, Shop
from tests.factories import (
    bind_products,
    connect,
    make_beneficiary,
    make_distribution,
    make_membership,
    make_order,
)


@dataclass
class Scene:
    shop: Shop
    distribution: Distribution
    products: list[Product]
    manager: object


def closed_distribution(
    *,
    shop: Shop,
    account,
    orders: int = 5,
    lines: int = 3,
    products: list[Product] | None = None,
    beneficiary_ids: list[str | None] | None = None,
) -> Scene:
    """A closed distribution with ``orders`` orders of ``lines`` bound products each."""
    if not Connection.objects.filter(shop=shop).exists():
        connect(shop=shop, account=account)
    products = products or bind_products(shop=shop, account=account, count=max(lines, 1))
    distribution = make_distribution(shop=shop, state="closed")
    for n in range(orders):
        escarcelle_id = beneficiary_ids[n] if beneficiary_ids else None
        profile = make_beneficiary(shop=shop, escarcelle_id=escarcelle_id)
        chosen = [products[(n + k) % len(products)] for k in range(lines)]
        make_order(
            membership=profile.membership,
            distribution=distribution,
            lines={p: Decimal(1 + (n + k) % 3) for k, p in enumerate(chosen)},
        )
    manager = make_membership(shop=shop, role=Role.MANAGER).user
    return Scene(shop=shop, distribution=distribution, products=products, manager=manager)


def validate(scene: Scene) -> Distribution:
    return distribution_validate(distribution=scene.distribution, user=scene.manager)


def deliver_rounds(
    distribution: Distribution, *, rounds: int = 40, step=datetime.timedelta(hours=1), **options
) -> int:
    """Delivery rounds on a controlled clock (an hour apart) until nothing is pending."""
    clock = timezone.now()
    for n in range(1, rounds + 1):
        sales_deliver(distribution=distribution, now=clock, **options)
        if not SaleOutbox.objects.filter(
            distribution=distribution, status=SaleStatus.PENDING
        ).exists():
            return n
        clock += step
    raise AssertionError(f"sales still pending after {rounds} rounds")


def expected_sales(distribution: Distribution) -> dict[str, list[tuple[str, Decimal]]]:
    """external_ref → [(Escarcelle product id, delivered quantity)], from Epiclic's orders."""
    expected: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    lines = (
        OrderLine.objects.filter(
            order__distribution=distribution, order__status=OrderStatus.DELIVERED
        )
        .select_related("product", "order")
        .order_by("order_id", "id")
    )
    for line in lines:
        if line.product.escarcelle_id and line.effective_quantity > 0:
            ref = f"epiclic-{distribution.shop_id}-{line.order_id}"
            expected[ref].append((line.product.escarcelle_id, line.effective_quantity))
    return dict(expected)


def assert_exactly_once(
    account, distribution: Distribution, stock_before: dict[str, Decimal], *, skip=()
) -> None:
    """Every validated order is in Escarcelle once, with its lines; stock moved by exactly
    the delivered quantities. ``skip``: external refs expected *not* to be there."""
    remote = account.sales()
    refs = Counter(sale["external_ref"] for sale in remote)
    duplicates = {ref: n for ref, n in refs.items() if n > 1}
    assert not duplicates, f"sales recorded more than once: {duplicates}"
    expected = {k: v for k, v in expected_sales(distribution).items() if k not in skip}
    by_ref = {sale["external_ref"]: sale for sale in remote}
    assert set(by_ref) == set(expected)
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for ref, lines in expected.items():
        got = [(line["product_id"], Decimal(line["quantity"])) for line in by_ref[ref]["lines"]]
        assert got == lines, ref
        for product_id, quantity in lines:
            moved[product_id] += quantity
    after = account.stock()
    for product_id, before in stock_before.items():
        assert after[product_id] == before - moved.get(product_id, Decimal(0)), product_id
    for record in SaleOutbox.objects.filter(distribution=distribution, status=SaleStatus.SENT):
        sale = by_ref[record.payload["external_ref"]]
        assert record.escarcelle_sale_id == sale["id"]
        assert record.sequence == sale["sequence"]


def order_ref(order: Order) -> str:
    return f"epiclic-{order.shop_id}-{order.pk}"


def wait_until(condition: Callable[[], object], what: str, *, timeout: float = 30.0) -> None:
    """Poll ``condition`` until it holds; a generous deadline, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting after {timeout} s: {what}"
        time.sleep(0.02)


def key_state(account, key: str) -> str | None:
    """The emulator's state of an Idempotency-Key ("in_flight", "done" or None), read straight
    from its SQLite file: the contract has no endpoint for it."""
    internal = int(account.account_id.removeprefix("acc_"))
    uri = f"file:{account.server.db_path}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
        row = db.execute(
            "SELECT state FROM idempotency_keys WHERE account_id = ? AND key = ?",
            (internal, key),
        ).fetchone()
    return row[0] if row else None
