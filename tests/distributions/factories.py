"""Factories for products, catalogues, distributions and orders (keyword-only, defaults)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from catalog.models import Catalogue, Product
from distributions.models import Distribution, Order, OrderLine, OrderStatus
from distributions.pricing import member_rate, solidarity_price
from shops.models import Membership, Shop

_seq = itertools.count(1)
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def make_product(
    *,
    shop: Shop,
    name: str | None = None,
    price: Decimal | str = "2.99",
    stock: Decimal | str = "10",
    unit: str = "piece",
    category: str = "",
    active: bool = True,
    stock_source: str = "manual",
    **fields,
) -> Product:
    n = next(_seq)
    return Product.objects.create(
        shop=shop,
        name=name or f"Produit {n}",
        ref=fields.pop("ref", f"REF-{n}"),
        price=Decimal(price),
        stock=Decimal(stock),
        unit=unit,
        category=category,
        active=active,
        stock_source=stock_source,
        **fields,
    )


def make_catalogue(
    *, shop: Shop, products: list[Product] = (), name: str | None = None, **fields
) -> Catalogue:
    catalogue = Catalogue.objects.create(
        shop=shop, name=name or f"Catalogue {next(_seq)}", **fields
    )
    catalogue.products.set(products)
    return catalogue


def make_distribution(
    *,
    shop: Shop,
    state: str = "open",
    catalogues: list[Catalogue] = (),
    validated_by=None,
    **fields,
) -> Distribution:
    now = timezone.now()
    times = {
        "upcoming": (now + DAY, now + 2 * DAY, now + 3 * DAY),
        "open": (now - DAY, now + 2 * DAY, now + 3 * DAY),
        "closed": (now - 3 * DAY, now - HOUR, now + DAY),
        "validated": (now - 4 * DAY, now - 2 * DAY, now - DAY),
    }[state]
    opens, closes, starts = times
    distribution = Distribution.objects.create(
        shop=shop,
        orders_open_at=fields.pop("orders_open_at", opens),
        orders_close_at=fields.pop("orders_close_at", closes),
        starts_at=fields.pop("starts_at", starts),
        place=fields.pop("place", "Salle des fêtes"),
        validated_at=now if state == "validated" else None,
        validated_by=validated_by,
        **fields,
    )
    distribution.catalogues.set(catalogues)
    return distribution


def make_order(
    *,
    membership: Membership,
    distribution: Distribution,
    lines: dict[Product, Decimal | str | int],
    status: str = OrderStatus.CONFIRMED,
) -> Order:
    """An order written directly, bypassing the checks of ``order_confirm``."""
    rate = member_rate(membership)
    order = Order.objects.create(
        shop=distribution.shop,
        distribution=distribution,
        membership=membership,
        status=status,
        participation_rate=rate,
    )
    for product, quantity in lines.items():
        OrderLine.objects.create(
            order=order,
            product=product,
            quantity=Decimal(str(quantity)),
            shelf_price=product.price,
            participation_rate=rate,
            unit_price=solidarity_price(product.price, rate),
        )
    return order
