"""The one test factories module: plain keyword-only functions with one set of defaults.

A product costs 2.99 € and has 10 in stock (hand-managed), so that it can be ordered; a test
that needs another figure passes it. ``connect`` and ``bind_products`` build the Epiclic side of
an Escarcelle connection from an emulator account (``tests.fixtures_escarcelle.SimAccount``).
"""

from __future__ import annotations

import datetime
import io
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone
from PIL import Image

from catalog.models import Catalogue, Product, StockSource
from distributions.models import Distribution, Order, OrderLine, OrderStatus, PickupSlot
from distributions.pricing import member_rate, solidarity_price
from escarcelle import crypto
from escarcelle.models import Connection
from escarcelle.sales.models import SaleOutbox, SaleStatus
from shops.models import BeneficiaryProfile, Membership, Role, Shop

if TYPE_CHECKING:
    from tests.fixtures_escarcelle import SimAccount

_seq = itertools.count(1)
PASSWORD = "un-mot-de-passe-solide"
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

# --- shops and people ---------------------------------------------------------------------


def make_shop(*, name: str | None = None, slug: str | None = None, **fields: Any) -> Shop:
    n = next(_seq)
    return Shop.objects.create(
        name=name or f"Épicerie {n}",
        slug=slug or f"epicerie-{n}",
        contact_email=fields.pop("contact_email", f"contact{n}@example.org"),
        **fields,
    )


def make_user(*, email: str | None = None, password: str = PASSWORD, **fields: Any) -> User:
    email = email or f"user{next(_seq)}@example.org"
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, **fields
    )


def make_membership(
    *, shop: Shop, user: User | None = None, role: str = Role.MANAGER
) -> Membership:
    return Membership.objects.create(shop=shop, user=user or make_user(), role=role)


def make_beneficiary(
    *,
    shop: Shop,
    user: User | None = None,
    participation_rate: Decimal | str = "30",
    monthly_budget: Decimal | str | None = None,
    access_valid_until: datetime.date | None = None,
    **fields: Any,
) -> BeneficiaryProfile:
    membership = make_membership(shop=shop, user=user, role=Role.BENEFICIARY)
    return BeneficiaryProfile.objects.create(
        shop=shop,
        membership=membership,
        participation_rate=Decimal(participation_rate),
        monthly_budget=None if monthly_budget is None else Decimal(monthly_budget),
        access_valid_until=access_valid_until or timezone.localdate() + 365 * DAY,
        **fields,
    )


# --- catalog ------------------------------------------------------------------------------


def make_product(
    *,
    shop: Shop,
    name: str | None = None,
    ref: str | None = None,
    price: Decimal | str = "2.99",
    stock: Decimal | str = "10",
    unit: str = "piece",
    category: str = "",
    active: bool = True,
    stock_source: str = StockSource.MANUAL,
    **fields: Any,
) -> Product:
    n = next(_seq)
    return Product.objects.create(
        shop=shop,
        name=name or f"Produit {n}",
        ref=f"REF-{n:05d}" if ref is None else ref,
        price=Decimal(price),
        stock=Decimal(stock),
        unit=unit,
        category=category,
        active=active,
        stock_source=stock_source,
        **fields,
    )


def make_catalogue(
    *, shop: Shop, name: str | None = None, products: Iterable[Product] = (), **fields: Any
) -> Catalogue:
    catalogue = Catalogue.objects.create(
        shop=shop, name=name or f"Catalogue {next(_seq)}", **fields
    )
    catalogue.products.set(products)
    return catalogue


def image_bytes(
    *, size: tuple[int, int] = (1600, 1200), fmt: str = "PNG", exif: Any = None
) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def png_bomb_bytes(*, side: int = 13000) -> bytes:
    """A small grey PNG announcing ``side`` × ``side`` pixels (a decompression bomb), built
    without ever holding its pixels in memory."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + one grey byte per pixel
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


# --- distributions and orders -------------------------------------------------------------


def make_distribution(
    *,
    shop: Shop,
    state: str = "open",
    catalogues: Iterable[Catalogue] = (),
    validated_by: User | None = None,
    **fields: Any,
) -> Distribution:
    """A distribution whose orders are ``upcoming``, ``open``, ``closed`` or ``validated``."""
    now = timezone.now()
    opens, closes, starts = {
        "upcoming": (now + DAY, now + 2 * DAY, now + 3 * DAY),
        "open": (now - DAY, now + 2 * DAY, now + 3 * DAY),
        "closed": (now - 3 * DAY, now - HOUR, now + DAY),
        "validated": (now - 4 * DAY, now - 2 * DAY, now - DAY),
    }[state]
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
    lines: Mapping[Product, Decimal | str | int],
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
            product_name=product.name,
            quantity=Decimal(str(quantity)),
            shelf_price=product.price,
            participation_rate=rate,
            unit_price=solidarity_price(product.price, rate),
        )
    return order


def make_slot(
    *,
    distribution: Distribution,
    start: datetime.timedelta = datetime.timedelta(0),
    minutes: int = 30,
    capacity: int = 10,
) -> PickupSlot:
    """A pick-up slot ``start`` after the distribution begins, lasting ``minutes``."""
    starts_at = distribution.starts_at + start
    return PickupSlot.objects.create(
        distribution=distribution,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        capacity=capacity,
    )


def make_order_line(*, product: Product, quantity: Decimal | str = "1") -> OrderLine:
    """One line of an order of a new beneficiary, in a new open distribution."""
    order = make_order(
        membership=make_membership(shop=product.shop, role=Role.BENEFICIARY),
        distribution=make_distribution(shop=product.shop),
        lines={product: quantity},
    )
    return order.lines.get()


# --- the Epiclic side of an Escarcelle connection -----------------------------------------


def connect(*, shop: Shop, account: SimAccount, user: User | None = None) -> Connection:
    """``shop`` connected to the emulator ``account``, as *Synchro Escarcelle* leaves it
    (written directly: no call to Escarcelle)."""
    return Connection.objects.create(
        shop=shop,
        api_key_encrypted=crypto.encrypt(account.api_key),
        key_last4=account.api_key[-4:],
        account_id=account.account_id,
        account_name=account.name,
        connected_by=user,
    )


def bind_products(
    *,
    shop: Shop,
    account: SimAccount,
    only: Iterable[str] | None = None,
    count: int | None = None,
    offset: int = 0,
) -> list[Product]:
    """What the product import leaves behind: one bound product per active Escarcelle product
    (those of ``only`` if given; ``count`` of them from ``offset`` if given), stock 0."""
    remote = [p for p in account.products() if p["active"]]
    if only is not None:
        wanted = set(only)
        remote = [p for p in remote if p["id"] in wanted]
    remote = remote[offset:]
    if count is not None:
        remote = remote[:count]
        assert len(remote) == count, "seed the account with enough products"
    return [
        make_product(
            shop=shop,
            name=p["name"],
            price=p["price"],
            stock="0",
            stock_source=StockSource.ESCARCELLE,
            escarcelle_id=p["id"],
        )
        for p in remote
    ]


def make_sale(*, shop: Shop, status: str = SaleStatus.PENDING, **fields: Any) -> SaleOutbox:
    """A sale record of a new order of ``shop`` (payload empty: for counts and pages)."""
    order = make_order_line(product=make_product(shop=shop)).order
    return SaleOutbox.objects.create(
        shop=shop,
        distribution=order.distribution,
        order=order,
        idempotency_key=fields.pop("idempotency_key", f"test-{shop.pk}-{order.pk}"),
        payload=fields.pop("payload", {}),
        status=status,
        **fields,
    )


def make_staff(*, superuser: bool = False, **fields: Any) -> User:
    """An operator: a Django staff user (``superuser`` for the admin's every right)."""
    return make_user(is_staff=True, is_superuser=superuser, **fields)
