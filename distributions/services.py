"""Writes: confirming and cancelling orders, adjusting deliveries, opening, closing and
validating distributions."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product, StockSource
from distributions.availability import stock_refresh
from distributions.models import (
    Distribution,
    DistributionAction,
    DistributionEvent,
    DistributionState,
    Order,
    OrderLine,
    OrderStatus,
)
from distributions.rules import (
    distribution_open_check,
    order_check,
    quantity_error,
    quantity_text,
    slot_check,
)
from distributions.signals import distribution_validated, order_changed, orders_opened
from epiclic.errors import Refusal
from shops.models import Membership


def order_confirm(
    *,
    membership: Membership,
    distribution: Distribution,
    quantities: dict[int, Decimal],
    slot_id: int | None = None,
) -> Order:
    """Create or replace the member's order for ``distribution``, or raise ``Refusal``.

    First, outside any transaction (the database is not locked while a stock source answers),
    the stock of the cart's products is read again where a source reads live (Escarcelle,
    within a short budget; the last reading stands when it is slow or down). Then every rule
    is checked by ``rules.order_check``, with the rows locked: two confirmations of the last
    unit cannot both succeed. On SQLite the IMMEDIATE transaction already serialises writers.
    ``slot_id``: the pick-up slot chosen, required when the distribution has slots; its last
    place is checked under the same locks (``rules.slot_check``).
    """
    quantities = {int(pk): Decimal(qty) for pk, qty in quantities.items()}
    just_sold = stock_refresh(shop=distribution.shop, product_ids=quantities)
    return _order_confirm_locked(
        membership=membership,
        distribution=distribution,
        quantities=quantities,
        just_sold=just_sold,
        slot_id=slot_id,
    )


@transaction.atomic
def _order_confirm_locked(
    *,
    membership: Membership,
    distribution: Distribution,
    quantities: dict[int, Decimal],
    just_sold: set[int],
    slot_id: int | None = None,
) -> Order:
    checked = order_check(
        membership=membership,
        distribution=distribution,
        quantities=quantities,
        lock=True,
        just_sold=just_sold,
    )
    if not checked.lines:
        raise Refusal(_("Votre panier est vide."), code="empty_cart")
    order = checked.existing
    change = "changed" if order and order.status == OrderStatus.CONFIRMED else "confirmed"
    slot = slot_check(distribution=distribution, slot_id=slot_id, order=order, lock=True)
    if order is None:
        order = Order.objects.create(
            shop_id=membership.shop_id,
            distribution_id=distribution.pk,
            membership_id=membership.pk,
            participation_rate=checked.rate,
            slot=slot,
        )
    else:
        order.lines.all().delete()
        order.status = OrderStatus.CONFIRMED
        order.participation_rate = checked.rate
        order.slot = slot
        order.save(update_fields=["status", "participation_rate", "slot", "updated_at"])
    for line in checked.lines:
        line.order = order
    OrderLine.objects.bulk_create(checked.lines)
    order.distribution = distribution  # the receivers (the e-mail) start from it: no query
    order_changed.send(sender=Order, order=order, change=change)
    return order


@transaction.atomic
def order_cancel(*, order: Order) -> Order:
    order = Order.objects.select_for_update().select_related("distribution").get(pk=order.pk)
    distribution_open_check(order.distribution)
    if order.status != OrderStatus.CONFIRMED:
        raise Refusal(_("Cette commande est déjà annulée."))
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    order_changed.send(sender=Order, order=order, change="cancelled")
    return order


@transaction.atomic
def order_line_deliver(*, line: OrderLine, delivered_quantity: Decimal | None) -> OrderLine:
    """Set what was actually handed over (None: as ordered; 0: missing) before validation."""
    line = OrderLine.objects.select_related("order__distribution", "product").get(pk=line.pk)
    distribution = Distribution.objects.select_for_update().get(pk=line.order.distribution_id)
    if distribution.state != DistributionState.CLOSED:
        raise Refusal(
            _(
                "Les quantités livrées se modifient une fois les commandes fermées, "
                "avant la validation."
            )
        )
    if line.order.status != OrderStatus.CONFIRMED:
        raise Refusal(_("Cette commande est annulée."))
    if delivered_quantity is not None:
        if delivered_quantity < 0:
            raise Refusal(_("La quantité livrée ne peut pas être négative."))
        if delivered_quantity > line.quantity:
            raise Refusal(
                _("La quantité livrée ne peut pas dépasser la quantité commandée (%(q)s).")
                % {"q": quantity_text(line.quantity)}
            )
        if delivered_quantity and (error := quantity_error(delivered_quantity, line.product.unit)):
            raise Refusal(error)
    line.delivered_quantity = delivered_quantity
    line.save(update_fields=["delivered_quantity"])
    return line


def _delivered_by_product(distribution: Distribution, *, source: str) -> dict[int, Decimal]:
    rows = (
        OrderLine.objects.filter(
            order__distribution=distribution,
            order__status=OrderStatus.CONFIRMED,
            product__stock_source=source,
        )
        .values("product_id")
        .annotate(delivered=Sum(Coalesce("delivered_quantity", "quantity")))
        .order_by()
    )
    return {row["product_id"]: row["delivered"] for row in rows}


@transaction.atomic
def distribution_validate(*, distribution: Distribution, user: User) -> Distribution:
    """Freeze every order as delivered, decrement hand-managed stock, mark validated.

    Final for managers (only a superuser may undo it, from the admin). The signal
    ``distribution_validated`` is sent inside this transaction (the Escarcelle sales push
    records its outbox there): if a receiver fails, nothing is validated.
    """
    distribution = Distribution.objects.select_for_update().get(pk=distribution.pk)
    state = distribution.state
    if state == DistributionState.VALIDATED:
        raise Refusal(_("Cette distribution est déjà validée."))
    if state != DistributionState.CLOSED:
        raise Refusal(
            _("Une distribution se valide une fois les commandes fermées (le %(date)s).")
            % {"date": timezone.localtime(distribution.orders_close_at).strftime("%d/%m/%Y %H:%M")}
        )
    delivered = _delivered_by_product(distribution, source=StockSource.MANUAL)
    # Same id order as order_confirm, so the two never deadlock on product rows.
    for pk in sorted(delivered):
        Product.objects.filter(pk=pk).update(stock=F("stock") - delivered[pk])
    confirmed = Order.objects.filter(distribution=distribution, status=OrderStatus.CONFIRMED)
    OrderLine.objects.filter(order__in=confirmed, delivered_quantity__isnull=True).update(
        delivered_quantity=F("quantity")
    )
    confirmed.update(status=OrderStatus.DELIVERED, updated_at=timezone.now())
    distribution.validated_at = timezone.now()
    distribution.validated_by = user
    distribution.save(update_fields=["validated_at", "validated_by"])
    distribution_validated.send(sender=Distribution, distribution=distribution)
    return distribution


@transaction.atomic
def distribution_unvalidate(*, distribution: Distribution, user: User) -> Distribution:
    """Superusers only (Django admin): undo a validation, giving the stock back.

    It does not undo what the Escarcelle sales push may already have sent.
    """
    if not user.is_superuser:
        raise Refusal(_("Une distribution validée ne peut plus être modifiée."))
    distribution = Distribution.objects.select_for_update().get(pk=distribution.pk)
    if distribution.validated_at is None:
        return distribution
    delivered = (
        OrderLine.objects.filter(
            order__distribution=distribution,
            order__status=OrderStatus.DELIVERED,
            product__stock_source=StockSource.MANUAL,
        )
        .values("product_id")
        .annotate(delivered=Sum("delivered_quantity"))
        .order_by()
    )
    for row in sorted(delivered, key=lambda r: r["product_id"]):
        Product.objects.filter(pk=row["product_id"]).update(stock=F("stock") + row["delivered"])
    Order.objects.filter(distribution=distribution, status=OrderStatus.DELIVERED).update(
        status=OrderStatus.CONFIRMED, updated_at=timezone.now()
    )
    distribution.validated_at = None
    distribution.validated_by = None
    distribution.save(update_fields=["validated_at", "validated_by"])
    return distribution


def _lifecycle_locked(
    distribution: Distribution, *, expected: str, refusal: str, code: str
) -> tuple[Distribution, datetime]:
    """The distribution locked for a life cycle action, and the time of the action.

    Refused once validated, or when its orders are not in the ``expected`` state (``refusal``
    names the state found).
    """
    distribution = Distribution.objects.select_for_update().get(pk=distribution.pk)
    if distribution.validated_at is not None:
        raise Refusal(
            _("Une distribution validée ne peut plus être modifiée."), code="already_validated"
        )
    now = timezone.now()
    state = distribution.state_at(now)
    if state != expected:
        raise Refusal(refusal % {"state": DistributionState(state).label}, code=code)
    return distribution, now


def _lifecycle_record(
    distribution: Distribution, *, field: str, action: str, user: User, now: datetime
) -> Distribution:
    """Save the moved date and who moved it, when."""
    distribution.save(update_fields=[field])
    DistributionEvent.objects.create(distribution=distribution, action=action, user=user, at=now)
    return distribution


@transaction.atomic
def distribution_open_now(*, distribution: Distribution, user: User) -> Distribution:
    """Open the orders of an upcoming distribution now (their closing date stays)."""
    distribution, now = _lifecycle_locked(
        distribution,
        expected=DistributionState.UPCOMING,
        refusal=_("Les commandes de cette distribution ne sont plus à venir (%(state)s)."),
        code="not_upcoming",
    )
    distribution.orders_open_at = now
    _lifecycle_record(
        distribution, field="orders_open_at", action=DistributionAction.OPENED, user=user, now=now
    )
    orders_opened.send(sender=Distribution, distribution=distribution)
    return distribution


@transaction.atomic
def distribution_close_now(*, distribution: Distribution, user: User) -> Distribution:
    """Close the orders of an open distribution now: members can no longer order or change."""
    distribution, now = _lifecycle_locked(
        distribution,
        expected=DistributionState.OPEN,
        refusal=_("Les commandes de cette distribution ne sont pas ouvertes (%(state)s)."),
        code="not_open",
    )
    # The closing must come after the opening (a database constraint), even to the microsecond.
    distribution.orders_close_at = max(now, distribution.orders_open_at + timedelta(microseconds=1))
    return _lifecycle_record(
        distribution, field="orders_close_at", action=DistributionAction.CLOSED, user=user, now=now
    )


@transaction.atomic
def distribution_reopen(*, distribution: Distribution, user: User) -> Distribution:
    """Reopen closed orders until the pick-up starts; refused once the pick-up has begun."""
    distribution, now = _lifecycle_locked(
        distribution,
        expected=DistributionState.CLOSED,
        refusal=_("Les commandes de cette distribution ne sont pas fermées (%(state)s)."),
        code="not_closed",
    )
    if now >= distribution.starts_at:
        raise Refusal(
            _("La distribution a commencé : ses commandes ne peuvent plus être rouvertes."),
            code="pickup_passed",
        )
    # Until the pick-up, the latest closing the distribution form allows.
    distribution.orders_close_at = distribution.starts_at
    return _lifecycle_record(
        distribution,
        field="orders_close_at",
        action=DistributionAction.REOPENED,
        user=user,
        now=now,
    )
