"""The live check at confirmation: the cart's Escarcelle products read again, right now.

The hourly sync may be up to an hour old: a sale at the till just after it could be sold
again online. So when a beneficiary confirms, ``stock_live_read`` (registered with
``distributions.availability.live_reading_register`` by ``StockConfig.ready()``) reads the
current stock of the cart's bound products in one request (``GET /stock?product_id=…``)
within ``LIVE_BUDGET_S``, outside any transaction, and stores what is fresher than the stored
reading. The confirmation then applies the usual availability rule to it.

When Escarcelle is slow, down, refuses the key, answers badly or for fewer products than
asked, the reason is logged and the last reading stands: the order is judged as before.

A row stored here carries ``read_sequence``, the ledger sequence its quantity is consistent
with; ``availability.pending_quantities`` stops subtracting the sales Escarcelle had counted
by then. The next sync writes the row again as of its own reading (``read_sequence`` NULL).
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from escarcelle.client import EscarcelleError
from escarcelle.connection import client_for_shop, connection_for
from escarcelle.stock.models import StockLevel, StockSyncState
from shops.models import Shop

log = logging.getLogger("escarcelle.stock.live")

# The whole live read, connection included: a confirmation never waits longer for it.
LIVE_BUDGET_S = 1.5
CONNECT_TIMEOUT_S = 0.5
MAX_PRODUCTS = 500
MAX_QUANTITY = Decimal("1e11")


def stock_live_read(*, shop: Shop, product_ids: list[int]) -> set[int]:
    """Read the current Escarcelle stock of ``product_ids`` and store it when fresher; the ids
    whose quantity went down since the stored reading. Never raises for Escarcelle's failures."""
    products = Product.objects.filter(shop=shop, pk__in=product_ids, escarcelle_id__isnull=False)
    bound = {ref: pk for ref, pk in products.values_list("escarcelle_id", "pk") if ref}
    if not bound:
        return set()
    connection = connection_for(shop)
    if connection is None or connection.key_rejected_at is not None:
        return set()
    started = time.monotonic()
    asked = sorted(bound)[:MAX_PRODUCTS]
    try:
        with client_for_shop(
            shop,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=LIVE_BUDGET_S - CONNECT_TIMEOUT_S,
            max_retries=0,
            max_total_s=LIVE_BUDGET_S,
        ) as client:
            rows, sequence = client.stock_current(asked)
    except EscarcelleError as error:
        log.warning(
            "live stock check failed (%s) after %.0f ms: the last reading stands",
            error.code,
            (time.monotonic() - started) * 1000,
        )
        return set()
    reading: dict[int, tuple[Decimal, int]] = {}
    for row in rows:
        pk = bound.get(row.product_id)
        if pk is None or not _plausible(row.quantity) or not 0 <= row.sequence <= sequence:
            log.warning("live stock check: row for %s ignored", row.product_id)
            continue
        reading[pk] = (row.quantity, row.sequence)
    if len(reading) < len(asked):
        log.warning(
            "live stock check: %d of %d products answered; the others keep the last reading",
            len(reading),
            len(asked),
        )
    _written, went_down = stock_live_apply(shop=shop, reading=reading, sequence=sequence)
    log.info(
        "live stock check: %d products at sequence %d in %.0f ms, %d lower",
        len(reading),
        sequence,
        (time.monotonic() - started) * 1000,
        len(went_down),
    )
    return went_down


def _plausible(quantity: Decimal) -> bool:
    return (
        quantity.is_finite()
        and abs(quantity) < MAX_QUANTITY
        and quantity == quantity.quantize(Decimal("0.001"))
    )


@transaction.atomic
def stock_live_apply(
    *, shop: Shop, reading: dict[int, tuple[Decimal, int]], sequence: int
) -> tuple[set[int], set[int]]:
    """Store ``reading`` ({product id: (quantity, sequence of its last movement)}, consistent
    with ledger ``sequence``) for each product whose stored figure is older: the ids written,
    and those whose quantity went down. A short transaction, after the read. The one writer
    of figures newer than the shop's reading: the live check and pushed events (webhooks.py)."""
    if not reading:
        return set(), set()
    # Locked like the sync's apply, so the two never interleave (PostgreSQL; SQLite
    # serialises writers anyway).
    state = StockSyncState.objects.select_for_update().filter(shop=shop).first()
    shop_sequence = state.sequence if state and state.sequence is not None else -1
    stored = {
        level.product_id: level
        for level in StockLevel.objects.filter(shop=shop, product_id__in=list(reading))
    }
    now = timezone.now()
    fresher: list[StockLevel] = []
    went_down: set[int] = set()
    for pk, (quantity, last) in sorted(reading.items()):
        old = stored.get(pk)
        if old is not None:
            if max(shop_sequence, old.read_sequence or -1) >= sequence:
                continue  # what is stored is as fresh already
            if quantity < old.quantity:
                went_down.add(pk)
        elif shop_sequence >= sequence:
            continue
        fresher.append(
            StockLevel(
                shop=shop,
                product_id=pk,
                quantity=quantity,
                sequence=last,
                read_at=now,
                read_sequence=sequence,
            )
        )
    StockLevel.objects.bulk_create(
        fresher,
        update_conflicts=True,
        unique_fields=["product"],
        update_fields=["quantity", "sequence", "read_at", "read_sequence"],
    )
    return {level.product_id for level in fresher}, went_down
