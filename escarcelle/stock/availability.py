"""What can be ordered of a product whose stock comes from Escarcelle.

available = Escarcelle's quantity at the shop's last reading
            − the online order lines that reading does not include yet.

An order line (confirmed or delivered order; the delivered quantity once set) stops being
subtracted only once its order's sale has been acknowledged by Escarcelle (``SaleOutbox``
``sent``) at a ledger sequence no later than the reading's: from then on Escarcelle's own
figure already counts it. A row read alone by the live check at confirmation (``live.py``)
is current to its own ``read_sequence``, later than the shop's. Until the sales push sends
anything, every such line is subtracted.
A delivered order that has no sale record at all (validated before the shop was connected, or
whose products were not bound to Escarcelle then) will never reach Escarcelle: there is nothing
to wait for, so it is not subtracted.

A product never read from Escarcelle counts as 0 in stock (nothing available) until the
first reading. The figures are raw (they can be negative); screens clamp them at zero.

Three queries whatever the number of products. They run in a safe order: the reading
sequence first, then the lines, then the quantities. A sync committing in between can only
make a line counted twice (too little shown available), never too much.

``escarcelle_figures`` is the availability source of these products: ``StockConfig.ready()``
registers it with ``distributions.availability``, which the ordering pages and the Stocks page
read.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from distributions.availability import StockFigure
from distributions.models import OrderLine, OrderStatus
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.stock.models import StockLevel, StockSyncState
from shops.models import Shop

ZERO = Decimal("0")


def pending_quantities(
    *, shop: Shop, product_ids: Iterable[int] | None, sequence: int | None
) -> dict[int, Decimal]:
    """Per product: online order quantities not included in the reading at ``sequence``."""
    has_sale = SaleOutbox.objects.filter(order_id=OuterRef("order_id"))
    lines = OrderLine.objects.filter(order__shop=shop).filter(
        Q(order__status=OrderStatus.CONFIRMED)
        | Q(Exists(has_sale), order__status=OrderStatus.DELIVERED)
    )
    if product_ids is not None:
        lines = lines.filter(product_id__in=list(product_ids))
    # A row read alone (live check) is current to its own, later sequence.
    shop_reading = -1 if sequence is None else sequence
    row_reading = StockLevel.objects.filter(product_id=OuterRef("product_id")).values(
        "read_sequence"
    )[:1]
    lines = lines.annotate(
        reading=Greatest(Coalesce(Subquery(row_reading), Value(shop_reading)), Value(shop_reading))
    )
    included = SaleOutbox.objects.filter(
        order_id=OuterRef("order_id"), status=SaleStatus.SENT, sequence__lte=OuterRef("reading")
    )
    lines = lines.exclude(Exists(included))
    rows = (
        lines.values("product_id")
        .annotate(held=Sum(Coalesce("delivered_quantity", "quantity")))
        .order_by()
    )
    return {row["product_id"]: row["held"] or ZERO for row in rows}


def escarcelle_figures(*, shop: Shop, stocks: dict[int, Decimal]) -> dict[int, StockFigure]:
    """The availability source of products whose stock comes from Escarcelle (registered by
    ``StockConfig.ready()``): per product id of ``stocks`` (``Product.stock`` is not used),
    Escarcelle's quantity at the last reading (None: never read) and the online orders that
    reading does not include yet, and when the figure was last known true (``read_at``)."""
    product_ids = list(stocks)
    sequence, synced_at = (
        StockSyncState.objects.filter(shop=shop).values_list("sequence", "last_success_at").first()
    ) or (None, None)
    pending = pending_quantities(shop=shop, product_ids=product_ids, sequence=sequence)
    levels = StockLevel.objects.filter(shop=shop, product_id__in=product_ids)
    read = {
        pk: (quantity, at)
        for pk, quantity, at in levels.values_list("product_id", "quantity", "read_at")
    }
    figures = {}
    for pk in product_ids:
        quantity, read_at = read.get(pk, (None, None))
        figures[pk] = StockFigure(
            quantity=quantity,
            reserved=pending.get(pk, ZERO),
            read_at=_known_at(read_at, synced_at),
        )
    return figures


def _known_at(
    read_at: datetime.datetime | None, synced_at: datetime.datetime | None
) -> datetime.datetime | None:
    """When a product's figure was last known true: its own reading (a sync that changed it,
    the live check, a pushed event) or the shop's last successful sync, which found it
    unchanged, whichever is later. None: never read."""
    if read_at is None:
        return None
    return max(read_at, synced_at) if synced_at else read_at
