"""Factories for the catalog tests (keyword-only, sensible defaults)."""

from __future__ import annotations

import datetime
import io
import itertools
from decimal import Decimal

from django.utils import timezone
from PIL import Image

from catalog.models import Catalogue, Product
from distributions.models import Distribution, Order, OrderLine
from shops.models import Role, Shop
from tests.factories import make_membership

_seq = itertools.count(1)


def make_product(*, shop: Shop, name: str | None = None, price: str = "2.50", **fields) -> Product:
    n = next(_seq)
    fields.setdefault("ref", f"REF-{n:05d}")
    return Product.objects.create(
        shop=shop, name=name or f"Produit {n}", price=Decimal(price), **fields
    )


def make_catalogue(*, shop: Shop, name: str = "Épicerie", products=(), **fields) -> Catalogue:
    catalogue = Catalogue.objects.create(shop=shop, name=name, **fields)
    catalogue.products.set(products)
    return catalogue


def make_order_line(*, product: Product, quantity: str = "1") -> OrderLine:
    now = timezone.now()
    distribution = Distribution.objects.create(
        shop=product.shop,
        starts_at=now + datetime.timedelta(days=2),
        orders_open_at=now - datetime.timedelta(days=1),
        orders_close_at=now + datetime.timedelta(days=1),
    )
    membership = make_membership(shop=product.shop, role=Role.BENEFICIARY)
    order = Order.objects.create(
        shop=product.shop, distribution=distribution, membership=membership
    )
    return OrderLine.objects.create(
        order=order,
        product=product,
        quantity=Decimal(quantity),
        shelf_price=product.price,
        participation_rate=Decimal("100"),
        unit_price=product.price,
    )


def image_bytes(*, size: tuple[int, int] = (1600, 1200), fmt: str = "PNG", exif=None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()
