"""How much of each product can still be ordered: one function, used everywhere.

``stock_figures`` gives per product what is in stock, what online orders reserve and what can
still be ordered; ``available_quantities`` is that last figure alone. The ordering page, the
cart, the order confirmation, the distribution page and the *Stocks* page all read them here.

The figures are *raw*: what is available can be negative (the stock was lowered by hand under
what is already ordered). Screens show ``displayable(...)``, which clamps at zero; the order
confirmation compares against the raw figure.

Where the stock comes from depends on ``Product.stock_source``. Hand-managed stock is computed
here. Another source (Escarcelle) registers its own function with
``availability_source_register`` from its app's ``AppConfig.ready()``: the core apps never
import the connector.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Sum
from django.db.models.functions import Coalesce

from catalog.models import Product, StockSource
from distributions.models import OrderLine, OrderStatus
from shops.models import Shop

log = logging.getLogger("distributions.availability")

ZERO = Decimal("0")
# Beyond this many products (the ordering page's whole list), what the shop's open orders
# hold is read for every product and the others are dropped: a long ``IN`` list costs more
# Python than the few extra rows (psycopg parses a query of more than 50 parameters again
# at each run; Django prepares each value).
MANY_IDS = 50


@dataclass(frozen=True)
class StockFigure:
    """One product's figures (raw)."""

    quantity: Decimal | None  # in stock according to its source; None: never read
    reserved: Decimal  # held by online orders that ``quantity`` does not count yet
    # When ``quantity`` was last known true (a remote source); None: hand-managed or never read.
    read_at: datetime.datetime | None = None

    @property
    def available(self) -> Decimal:
        """What can still be ordered: a product never read counts as nothing in stock."""
        return (self.quantity or ZERO) - self.reserved


class AvailabilitySource(Protocol):
    """The figures of the products of one stock source.

    ``stocks`` maps the id of each product of ``shop`` asked for, all of this source, to its
    ``Product.stock``. Must answer for every id, in a fixed number of queries.
    """

    def __call__(self, *, shop: Shop, stocks: dict[int, Decimal]) -> dict[int, StockFigure]: ...


def stock_figures(
    *, shop: Shop, product_ids: Iterable[int] | None = None
) -> dict[int, StockFigure]:
    """Per product id of ``shop`` (all of them, or ``product_ids``): its figures.

    A fixed number of queries whatever the number of products: one for the products, then
    those of each stock source present.
    """
    products = Product.objects.filter(shop=shop)
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    return stock_figures_from(shop=shop, rows=products.values_list("pk", "stock_source", "stock"))


def stock_figures_from(
    *, shop: Shop, rows: Iterable[tuple[int, str, Decimal]]
) -> dict[int, StockFigure]:
    """``stock_figures`` of products of ``shop`` whose (id, ``stock_source``, ``stock``) the
    caller has just read with something else (the ordering page, with the products offered:
    one query less)."""
    by_source: dict[str, dict[int, Decimal]] = {}
    for pk, source, stock in rows:
        by_source.setdefault(source, {})[pk] = stock
    figures: dict[int, StockFigure] = {}
    for source, stocks in sorted(by_source.items()):
        figures.update(_source(source)(shop=shop, stocks=stocks))
    return figures


def available_quantities(
    *, shop: Shop, product_ids: Iterable[int] | None = None
) -> dict[int, Decimal]:
    """Per product id of ``shop``: what can still be ordered (raw, may be negative)."""
    return {
        pk: figure.available
        for pk, figure in stock_figures(shop=shop, product_ids=product_ids).items()
    }


def displayable(quantity: Decimal | None) -> Decimal:
    """What a screen shows: never below zero."""
    return max(ZERO, quantity or ZERO)


def reserved_quantities(*, shop: Shop, product_ids: Iterable[int]) -> dict[int, Decimal]:
    """Quantities held by confirmed orders of distributions not yet validated (one query).

    A line's reserved quantity is its effective quantity: the delivered quantity once the
    manager has set it, otherwise the ordered quantity.
    """
    ids = set(product_ids)
    lines = OrderLine.objects.filter(
        order__shop=shop,
        order__status=OrderStatus.CONFIRMED,
        order__distribution__validated_at__isnull=True,
    )
    if len(ids) <= MANY_IDS:
        lines = lines.filter(product_id__in=list(ids))
    rows = (
        lines.values_list("product_id")
        .annotate(held=Sum(Coalesce("delivered_quantity", "quantity")))
        .order_by()
    )
    return {pk: held or ZERO for pk, held in rows if pk in ids}


def manual_figures(*, shop: Shop, stocks: dict[int, Decimal]) -> dict[int, StockFigure]:
    """Hand-managed stock: ``Product.stock`` minus the confirmed orders of distributions not
    yet validated. On validation the stock itself is decremented, so the figure stays right
    afterwards."""
    reserved = reserved_quantities(shop=shop, product_ids=stocks)
    return {
        pk: StockFigure(quantity=stock, reserved=reserved.get(pk, ZERO))
        for pk, stock in stocks.items()
    }


_SOURCES: dict[str, AvailabilitySource] = {StockSource.MANUAL: manual_figures}


def availability_source_register(stock_source: str, figures: AvailabilitySource) -> None:
    """Let ``figures`` give the figures of the products whose stock comes from
    ``stock_source``. Called from an ``AppConfig.ready()`` (the Escarcelle stock sync)."""
    _SOURCES[stock_source] = figures


class LiveReading(Protocol):
    """Re-read now, within a short budget, the stock of ``product_ids`` (all of ``shop`` and of
    this source) and store it when it is fresher than what is stored. Returns the ids whose
    quantity went down since the stored reading. Must never raise for a slow or failing
    source: the stored reading then stands, as before."""

    def __call__(self, *, shop: Shop, product_ids: list[int]) -> set[int]: ...


_LIVE: dict[str, LiveReading] = {}


def live_reading_register(stock_source: str, read: LiveReading) -> None:
    """Let ``read`` refresh the figures of the products of ``stock_source`` before an order is
    confirmed. Called from an ``AppConfig.ready()`` (the Escarcelle stock sync)."""
    _LIVE[stock_source] = read


def stock_refresh(*, shop: Shop, product_ids: Iterable[int]) -> set[int]:
    """Refresh the stored figures of ``product_ids`` from every source that reads live (none
    for hand-managed stock); the ids whose quantity went down, now or lately (an earlier live
    read, a pushed movement). Call it outside any write transaction: a source may wait on the
    network."""
    if not _LIVE:
        return set()
    by_source: dict[str, list[int]] = {}
    products = Product.objects.filter(shop=shop, pk__in=list(product_ids))
    for pk, source in products.filter(stock_source__in=list(_LIVE)).values_list(
        "pk", "stock_source"
    ):
        by_source.setdefault(source, []).append(pk)
    went_down: set[int] = set()
    for source, ids in sorted(by_source.items()):
        went_down |= _LIVE[source](shop=shop, product_ids=sorted(ids))
    stock_lowered_note(shop=shop, product_ids=went_down)
    asked = [pk for ids in by_source.values() for pk in ids]
    return went_down | _lowered_lately(shop=shop, product_ids=asked)


# A figure that a live reading or a pushed movement lowered a moment ago still counts as just
# sold when a confirmation is refused on it, though the ordering page's poll read it first.
LOWERED_LATELY_S = 600


def stock_lowered_note(*, shop: Shop, product_ids: Iterable[int]) -> None:
    """Remember for ``LOWERED_LATELY_S`` that a fresher reading lowered these figures (the
    cache; with the cache unreachable the refusal just says what is left)."""
    keys = dict.fromkeys((_lowered_key(shop, pk) for pk in product_ids), 1)
    if not keys:
        return
    try:
        cache.set_many(keys, LOWERED_LATELY_S)
    except Exception:
        log.warning("cache unreachable: lowered stock figures not noted")


def _lowered_lately(*, shop: Shop, product_ids: list[int]) -> set[int]:
    if not product_ids:
        return set()
    try:
        found = cache.get_many([_lowered_key(shop, pk) for pk in product_ids])
    except Exception:
        return set()
    return {pk for pk in product_ids if _lowered_key(shop, pk) in found}


def _lowered_key(shop: Shop, product_id: int) -> str:
    return f"stock-lowered:{shop.pk}:{product_id}"


def stock_refresh_throttled(*, shop: Shop, product_ids: Iterable[int], every_s: int) -> bool:
    """``stock_refresh`` at most once per shop every ``every_s`` seconds, whoever asks (the
    ordering page's poll): a rush of beneficiaries costs the source one read per period. The
    turn is taken with ``cache.add``, shared by every process when the cache is Redis. With
    the cache unreachable nothing is read (the stored figures stand). True when it read."""
    if not _LIVE:
        return False
    try:
        turn = cache.add(f"stock-refresh:{shop.pk}", 1, every_s)
    except Exception:  # Redis down: no live read rather than one per request
        log.warning("cache unreachable: no live stock read for the ordering page")
        return False
    if not turn:
        return False
    stock_refresh(shop=shop, product_ids=product_ids)
    return True


def _source(stock_source: str) -> AvailabilitySource:
    try:
        return _SOURCES[stock_source]
    except KeyError:
        raise ImproperlyConfigured(
            f"No availability source for the stock source {stock_source!r}: the app that "
            "provides it must call availability_source_register() in its AppConfig.ready()."
        ) from None
