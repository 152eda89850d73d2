"""How much of each product can still be ordered: one function, used everywhere.

``available_quantities`` returns the *raw* figure, which can be negative (the stock was
lowered by hand under what is already ordered). Screens show ``displayable(...)``, which
clamps at zero; the order confirmation compares against the raw figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from catalog.models import Product, StockSource
from distributions.models import OrderLine, OrderStatus
from shops.models import Shop

ZERO = Decimal("0")


def available_quantities(
    *, shop: Shop, product_ids: Iterable[int] | None = None
) -> dict[int, Decimal]:
    """Per product id of ``shop``: what can still be ordered (raw, may be negative).

    Hand-managed stock: ``product.stock`` minus the quantities in confirmed orders of
    distributions not yet validated. On validation the stock itself is decremented, so the
    figure stays right afterwards. Runs a fixed number of queries whatever the number of
    products (one for the products, one grouped sum per stock source present).
    """
    products = Product.objects.filter(shop=shop)
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    stocks: dict[str, dict[int, Decimal]] = {StockSource.MANUAL: {}, StockSource.ESCARCELLE: {}}
    for pk, source, stock in products.values_list("pk", "stock_source", "stock"):
        stocks.setdefault(source, {})[pk] = stock
    result: dict[int, Decimal] = {}
    if stocks[StockSource.MANUAL]:
        result.update(_manual_available(shop, stocks[StockSource.MANUAL]))
    if stocks[StockSource.ESCARCELLE]:
        result.update(_escarcelle_available(shop, list(stocks[StockSource.ESCARCELLE])))
    return result


def displayable(quantity: Decimal | None) -> Decimal:
    """What a screen shows: never below zero."""
    return max(ZERO, quantity or ZERO)


def reserved_quantities(*, shop: Shop, product_ids: Iterable[int]) -> dict[int, Decimal]:
    """Quantities held by confirmed orders of distributions not yet validated (one query).

    A line's reserved quantity is its effective quantity: the delivered quantity once the
    manager has set it, otherwise the ordered quantity.
    """
    rows = (
        OrderLine.objects.filter(
            order__shop=shop,
            order__status=OrderStatus.CONFIRMED,
            order__distribution__validated_at__isnull=True,
            product_id__in=list(product_ids),
        )
        .values("product_id")
        .annotate(total=Sum(Coalesce("delivered_quantity", "quantity")))
        .order_by()
    )
    return {row["product_id"]: row["total"] or ZERO for row in rows}


def _manual_available(shop: Shop, stocks: dict[int, Decimal]) -> dict[int, Decimal]:
    reserved = reserved_quantities(shop=shop, product_ids=stocks)
    return {pk: stock - reserved.get(pk, ZERO) for pk, stock in stocks.items()}


def _escarcelle_available(shop: Shop, product_ids: list[int]) -> dict[int, Decimal]:
    """Availability of products whose stock comes from Escarcelle.

    Escarcelle's quantity at the last reading minus the online orders that reading does not
    include yet (see ``escarcelle.stock.availability``).
    """
    from escarcelle.stock.availability import escarcelle_available

    return escarcelle_available(shop=shop, product_ids=product_ids)
