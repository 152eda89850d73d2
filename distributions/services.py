"""Writes: confirming and cancelling orders, adjusting deliveries, validating distributions."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from catalog.models import Product, StockSource, Unit
from distributions import hooks
from distributions.availability import available_quantities
from distributions.models import Distribution, DistributionState, Order, OrderLine, OrderStatus
from distributions.pricing import line_total, member_rate, solidarity_price
from distributions.selectors import month_spent, orderable_products
from epiclic.errors import Refusal
from shops.models import BeneficiaryProfile, Membership

ZERO = Decimal("0")
MAX_QUANTITY = Decimal("9999")


def quantity_text(quantity: Decimal) -> str:
    """A quantity as a French reader expects it in a message: ``1,5``, ``10``."""
    return formats.number_format(quantity.normalize())


def _eur(amount: Decimal) -> str:
    return formats.number_format(amount, 2)


def quantity_error(quantity: Decimal, unit: str) -> str | None:
    """Why ``quantity`` is not a valid quantity for ``unit``, or None."""
    if not quantity.is_finite() or quantity <= 0:
        return _("La quantité doit être supérieure à zéro.")
    if quantity > MAX_QUANTITY:
        return _("La quantité ne peut pas dépasser %(max)s.") % {"max": MAX_QUANTITY}
    if unit == Unit.PIECE and quantity != quantity.to_integral_value():
        return _("Ce produit se commande à la pièce : indiquez un nombre entier.")
    if quantity.normalize().as_tuple().exponent < -3:
        return _("Indiquez la quantité avec trois décimales au plus.")
    return None


def _check_member(membership: Membership) -> BeneficiaryProfile | None:
    profile = BeneficiaryProfile.objects.filter(membership=membership).first()
    if profile is None:
        return None
    if not profile.active:
        raise Refusal(_("Votre accès à l'épicerie est désactivé : adressez-vous à l'accueil."))
    if profile.access_expired():
        raise Refusal(
            _("Votre accès à l'épicerie a expiré le %(date)s : adressez-vous à l'accueil.")
            % {"date": profile.access_valid_until.strftime("%d/%m/%Y")}
        )
    return profile


def _check_open(distribution: Distribution) -> None:
    if distribution.state != DistributionState.OPEN:
        raise Refusal(
            _("Les commandes de cette distribution ne sont pas ouvertes (%(state)s).")
            % {"state": distribution.get_state_display()}
        )


@transaction.atomic
def order_confirm(
    *, membership: Membership, distribution: Distribution, quantities: dict[int, Decimal]
) -> Order:
    """Create or replace the member's order for ``distribution``, or raise ``Refusal``.

    Two confirmations of the last unit must not both succeed: the member's row, then the
    product rows (in id order, so two confirmations never deadlock) are locked before the
    availability is read. On SQLite the IMMEDIATE transaction already serialises writers.
    """
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    distribution = Distribution.objects.select_related("shop").get(
        pk=distribution.pk, shop_id=membership.shop_id
    )
    _check_open(distribution)
    profile = _check_member(membership)
    quantities = {int(pk): Decimal(qty) for pk, qty in quantities.items()}
    if not quantities:
        raise Refusal(_("Votre panier est vide."))
    existing = (
        Order.objects.select_for_update()
        .filter(distribution=distribution, membership=membership)
        .first()
    )
    own: dict[int, Decimal] = {}
    if existing is not None and existing.status == OrderStatus.CONFIRMED:
        for line in existing.lines.all():
            own[line.product_id] = line.effective_quantity
    locked = list(
        Product.objects.select_for_update()
        .filter(shop_id=membership.shop_id, pk__in=sorted(set(quantities) | set(own)))
        .order_by("pk")
    )
    orderable = {
        p.pk: p
        for p in orderable_products(distribution=distribution).filter(pk__in=[p.pk for p in locked])
    }
    available = available_quantities(shop=distribution.shop, product_ids=quantities)
    rate = profile.participation_rate if profile else member_rate(membership)
    lines: list[OrderLine] = []
    for pk, quantity in sorted(quantities.items()):
        product = orderable.get(pk)
        if product is None:
            raise Refusal(_("Un produit de votre panier n'est pas proposé à cette distribution."))
        error = quantity_error(quantity, product.unit)
        if error:
            raise Refusal(f"{product.name} : {error}")
        can_order = available.get(pk, ZERO) + own.get(pk, ZERO)
        if quantity > can_order:
            raise Refusal(
                _("%(product)s : il n'en reste que %(available)s, vous en demandez %(quantity)s.")
                % {
                    "product": product.name,
                    "available": quantity_text(max(ZERO, can_order)),
                    "quantity": quantity_text(quantity),
                }
            )
        lines.append(
            OrderLine(
                product=product,
                quantity=quantity,
                shelf_price=product.price,
                participation_rate=rate,
                unit_price=solidarity_price(product.price, rate),
            )
        )
    budget = profile.monthly_budget if profile else None
    if budget is not None:
        spent = month_spent(
            membership=membership,
            distribution=distribution,
            exclude_order_id=existing.pk if existing else None,
        )
        total = sum((line_total(x.unit_price, x.quantity) for x in lines), ZERO)
        if spent + total > budget:
            raise Refusal(
                _(
                    "Cette commande (%(total)s €) dépasse votre budget du mois : "
                    "il vous reste %(left)s € sur %(budget)s €."
                )
                % {
                    "total": _eur(total),
                    "left": _eur(max(ZERO, budget - spent)),
                    "budget": _eur(budget),
                }
            )
    if existing is None:
        order = Order.objects.create(
            shop_id=membership.shop_id,
            distribution=distribution,
            membership=membership,
            participation_rate=rate,
        )
    else:
        order = existing
        order.lines.all().delete()
        order.status = OrderStatus.CONFIRMED
        order.participation_rate = rate
        order.save(update_fields=["status", "participation_rate", "updated_at"])
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    return order


@transaction.atomic
def order_cancel(*, order: Order) -> Order:
    order = Order.objects.select_for_update().select_related("distribution").get(pk=order.pk)
    _check_open(order.distribution)
    if order.status != OrderStatus.CONFIRMED:
        raise Refusal(_("Cette commande est déjà annulée."))
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
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
        if delivered_quantity and quantity_error(delivered_quantity, line.product.unit):
            raise Refusal(quantity_error(delivered_quantity, line.product.unit))
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
        .annotate(total=Sum(Coalesce("delivered_quantity", "quantity")))
        .order_by()
    )
    return {row["product_id"]: row["total"] for row in rows}


@transaction.atomic
def distribution_validate(*, distribution: Distribution, user) -> Distribution:
    """Freeze every order as delivered, decrement hand-managed stock, mark validated.

    Final for managers (only a superuser may undo it, from the admin). The Escarcelle hook
    runs inside this transaction: if it fails, nothing is validated.
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
    hooks.distribution_validated(distribution=distribution)
    return distribution


@transaction.atomic
def distribution_unvalidate(*, distribution: Distribution, user) -> Distribution:
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
        .annotate(total=Sum("delivered_quantity"))
        .order_by()
    )
    for row in sorted(delivered, key=lambda r: r["product_id"]):
        Product.objects.filter(pk=row["product_id"]).update(stock=F("stock") + row["total"])
    Order.objects.filter(distribution=distribution, status=OrderStatus.DELIVERED).update(
        status=OrderStatus.CONFIRMED, updated_at=timezone.now()
    )
    distribution.validated_at = None
    distribution.validated_by = None
    distribution.save(update_fields=["validated_at", "validated_by"])
    return distribution
