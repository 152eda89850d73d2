"""Reads shared by the distribution, ordering and validation pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from catalog.models import Catalogue, Product
from distributions.models import Distribution, Order, OrderLine, OrderStatus, PickupSlot
from distributions.pricing import line_total
from epiclic.collation import collated
from shops.models import Membership, Shop

ZERO = Decimal("0")


def distributions_with_counts(*, shop: Shop) -> QuerySet[Distribution]:
    """The shop's distributions, each with ``order_count`` (orders not cancelled)."""
    return Distribution.objects.filter(shop=shop).annotate(
        order_count=Count("orders", filter=~Q(orders__status=OrderStatus.CANCELLED))
    )


def open_distributions(
    *, shop: Shop, now: datetime.datetime | None = None
) -> QuerySet[Distribution]:
    now = now or timezone.now()
    return Distribution.objects.filter(
        shop=shop, validated_at__isnull=True, orders_open_at__lte=now, orders_close_at__gt=now
    ).order_by("starts_at")


def upcoming_distributions(
    *, shop: Shop, now: datetime.datetime | None = None
) -> QuerySet[Distribution]:
    """Distributions whose orders are not open yet, soonest first."""
    now = now or timezone.now()
    return Distribution.objects.filter(
        shop=shop, validated_at__isnull=True, orders_open_at__gt=now
    ).order_by("orders_open_at")


def orderable_products(
    *, distribution: Distribution, product_ids: Iterable[int] | None = None
) -> QuerySet[Product]:
    """Active products of the shop in at least one offered catalogue — one of the
    distribution's, of its own shop, within its active period —, each once."""
    # The catalogues joined in the one subquery rather than nested in another: the same
    # rows, and a quarter less Python to build on every ordering request.
    today = timezone.localdate()
    in_catalogues = Catalogue.products.through.objects.filter(
        Q(catalogue__starts_on__isnull=True) | Q(catalogue__starts_on__lte=today),
        Q(catalogue__ends_on__isnull=True) | Q(catalogue__ends_on__gte=today),
        catalogue__distributions=distribution.pk,
        catalogue__shop_id=distribution.shop_id,
    ).values("product_id")
    products = Product.objects.filter(
        shop_id=distribution.shop_id, active=True, pk__in=in_catalogues
    ).order_by("category", "name", "pk")
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    return products


def month_bounds(
    moment: datetime.datetime, tz: datetime.tzinfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """Start of the calendar month of ``moment`` in ``tz`` (the shop's zone, whatever zone is
    active: a request or a worker) and of the next one."""
    local = timezone.localtime(moment, tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    # Rebuilt from naive values so that a DST change inside the month keeps midnight.
    return (
        timezone.make_aware(start.replace(tzinfo=None), tz),
        timezone.make_aware(following.replace(tzinfo=None), tz),
    )


def _shop_zone(membership: Membership, distribution: Distribution | None) -> datetime.tzinfo:
    """The shop's time zone from whichever object already holds the shop (no extra query when
    one does: the request's membership, the confirmation's distribution)."""
    if distribution is not None and Distribution.shop.is_cached(distribution):
        return distribution.shop.tzinfo
    return membership.shop.tzinfo


def month_spent(
    *,
    membership: Membership,
    distribution: Distribution | None = None,
    moment: datetime.datetime | None = None,
    exclude_order_id: int | None = None,
) -> Decimal:
    """Sum of the line totals of the member's orders (not cancelled) for distributions of
    this shop in the same calendar month as ``distribution`` (or as ``moment``, default now:
    *Mon compte*'s "budget left this month").

    A line counts for its effective quantity: a product marked missing (delivered 0) or
    handed over in a smaller quantity was not paid for, so it does not eat the budget.
    """
    start, end = month_bounds(
        distribution.starts_at if distribution is not None else moment or timezone.now(),
        _shop_zone(membership, distribution),
    )
    lines = OrderLine.objects.filter(
        order__membership=membership,
        order__shop_id=membership.shop_id,
        order__distribution__starts_at__gte=start,
        order__distribution__starts_at__lt=end,
    ).exclude(order__status=OrderStatus.CANCELLED)
    if exclude_order_id is not None:
        lines = lines.exclude(order_id=exclude_order_id)
    rows = lines.values_list("unit_price", "quantity", "delivered_quantity")
    return sum(
        (
            line_total(price, qty if delivered is None else delivered)
            for price, qty, delivered in rows
        ),
        ZERO,
    )


def member_orders(*, membership: Membership) -> QuerySet[Order]:
    return (
        Order.objects.filter(membership=membership, shop_id=membership.shop_id)
        .select_related("distribution", "slot")
        .prefetch_related("lines__product")
        .order_by("-distribution__starts_at")
    )


@dataclass
class BeneficiaryRow:
    order: Order
    lines: list[OrderLine] = field(default_factory=list)
    total: Decimal = ZERO


@dataclass
class ProductRow:
    product: Product
    ordered: Decimal = ZERO
    delivered: Decimal = ZERO
    total: Decimal = ZERO
    available: Decimal | None = None


def distribution_summary(
    *, distribution: Distribution
) -> tuple[list[BeneficiaryRow], list[ProductRow]]:
    """The orders (not cancelled) by beneficiary and by product, in one query."""
    lines = (
        OrderLine.objects.filter(order__distribution=distribution)
        .exclude(order__status=OrderStatus.CANCELLED)
        .select_related("order__membership__user", "order__slot", "product")
        .order_by(
            "order__membership__user__last_name",
            "order__membership__user__first_name",
            "order_id",
            "product__name",
        )
    )
    by_order: dict[int, BeneficiaryRow] = {}
    for line in lines:
        row = by_order.setdefault(line.order_id, BeneficiaryRow(order=line.order))
        row.lines.append(line)
        row.total += line.total  # what is handed over: a product marked missing is not paid
    return list(by_order.values()), product_rows(
        line for row in by_order.values() for line in row.lines
    )


def product_rows(lines: Iterable[OrderLine]) -> list[ProductRow]:
    """Per product of ``lines``: quantities ordered and handed over and the amount, in French
    name order (the distribution's totals, or one pick-up slot's)."""
    by_product: dict[int, ProductRow] = {}
    for line in lines:
        prow = by_product.setdefault(line.product_id, ProductRow(product=line.product))
        prow.ordered += line.quantity
        prow.delivered += line.effective_quantity
        prow.total += line.total
    return collated(by_product.values(), key=lambda r: r.product.name)


def slot_taken(*, slot_ids: Iterable[int], exclude_order_id: int | None = None) -> dict[int, int]:
    """Per slot: the orders (not cancelled) it holds, ``exclude_order_id`` left out."""
    orders = Order.objects.filter(slot_id__in=list(slot_ids)).exclude(status=OrderStatus.CANCELLED)
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    rows = orders.values("slot_id").annotate(n=Count("pk")).order_by()
    return {row["slot_id"]: row["n"] for row in rows}


@dataclass
class SlotPlaces:
    """A slot and its places left (never below zero)."""

    slot: PickupSlot
    taken: int

    @property
    def left(self) -> int:
        return max(0, self.slot.capacity - self.taken)

    @property
    def full(self) -> bool:
        return self.left == 0


def slot_places(*, distribution: Distribution, order: Order | None = None) -> list[SlotPlaces]:
    """The distribution's slots in time order with their places left; ``order`` (the member's
    own order) does not take a place away from the slot it holds."""
    slots = list(distribution.slots.all())
    if not slots:
        return []
    taken = slot_taken(
        slot_ids=[slot.pk for slot in slots], exclude_order_id=order.pk if order else None
    )
    return [SlotPlaces(slot=slot, taken=taken.get(slot.pk, 0)) for slot in slots]


@dataclass
class PastOrder:
    """A delivered order with what it cost and what it saved (from its frozen lines)."""

    order: Order
    paid: Decimal
    shelf_value: Decimal

    @property
    def saved(self) -> Decimal:
        return self.shelf_value - self.paid


def member_past_orders(*, membership: Membership) -> list[PastOrder]:
    """The member's delivered orders, latest first: amount paid, shelf value (what the same
    products cost at the shelf price of the day), in two queries."""
    orders = (
        Order.objects.filter(
            membership=membership, shop_id=membership.shop_id, status=OrderStatus.DELIVERED
        )
        .select_related("distribution")
        .prefetch_related("lines")
        .order_by("-distribution__starts_at")
    )
    return [
        PastOrder(
            order=order,
            paid=order.total,
            shelf_value=sum(
                (
                    line_total(line.shelf_price, line.effective_quantity)
                    for line in order.lines.all()
                ),
                ZERO,
            ),
        )
        for order in orders
    ]
