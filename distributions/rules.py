"""The ordering rules, in one place: what a member may order for a distribution.

``order_check`` is the one function that says yes or no. The order confirmation calls it for
the whole cart, under locks; the cart calls it for each change. So the cart refuses at once,
with the very message the confirmation would give, what the confirmation would refuse.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.models import Product, Unit
from distributions.availability import available_quantities
from distributions.models import (
    Distribution,
    DistributionState,
    Order,
    OrderLine,
    OrderStatus,
    PickupSlot,
)
from distributions.pricing import line_total, member_profile, member_rate, solidarity_price
from distributions.selectors import month_spent, orderable_products, slot_taken
from epiclic.errors import Refusal
from epiclic.numbers import decimal_text, money_text
from shops.models import BeneficiaryProfile, Membership

ZERO = Decimal("0")
MAX_QUANTITY = Decimal("9999")
THOUSANDTH = Decimal("0.001")


def quantity_text(quantity: Decimal) -> str:
    """A quantity as a French reader expects it in a message: ``1,5``, ``10``."""
    return decimal_text(quantity)


def _eur(amount: Decimal) -> str:
    return money_text(amount)


def quantity_error(quantity: Decimal, unit: str) -> str | None:
    """Why ``quantity`` is not a valid quantity for ``unit``, or None."""
    if not quantity.is_finite() or quantity <= 0:
        return _("La quantité doit être supérieure à zéro.")
    if quantity > MAX_QUANTITY:
        return _("La quantité ne peut pas dépasser %(max)s.") % {"max": MAX_QUANTITY}
    if unit == Unit.PIECE and quantity != quantity.to_integral_value():
        return _("Ce produit se commande à la pièce : indiquez un nombre entier.")
    if quantity != quantity.quantize(THOUSANDTH):
        return _("Indiquez la quantité avec trois décimales au plus.")
    return None


def distribution_open_check(distribution: Distribution) -> None:
    """Refuse unless the distribution takes orders now."""
    if distribution.state != DistributionState.OPEN:
        raise Refusal(
            _("Les commandes de cette distribution ne sont pas ouvertes (%(state)s).")
            % {"state": distribution.get_state_display()},
            code="orders_not_open",
        )


def member_check(membership: Membership) -> BeneficiaryProfile | None:
    """The member's profile (None: no profile, full price), or refuse an inactive or expired one."""
    profile = member_profile(membership)
    if profile is None:
        return None
    if not profile.active:
        raise Refusal(
            _("Votre accès à l'épicerie est désactivé : adressez-vous à l'accueil."),
            code="access_disabled",
        )
    if profile.access_expired() and profile.access_valid_until is not None:
        raise Refusal(
            _("Votre accès à l'épicerie a expiré le %(date)s : adressez-vous à l'accueil.")
            % {"date": profile.access_valid_until.strftime("%d/%m/%Y")},
            code="access_expired",
        )
    return profile


def member_available(
    *, available: Mapping[int, Decimal], own: Mapping[int, Decimal], product_id: int
) -> Decimal:
    """What this member may order of a product (raw): what is free, plus the units their own
    confirmed order already holds (changing an order never competes with itself)."""
    return available.get(product_id, ZERO) + own.get(product_id, ZERO)


def own_quantities(order: Order | None) -> dict[int, Decimal]:
    """Per product: the units the member's order holds, if it is confirmed."""
    if order is None or order.status != OrderStatus.CONFIRMED:
        return {}
    return {line.product_id: line.effective_quantity for line in order.lines.all()}


@dataclass
class OrderCheck:
    """What ``order_check`` accepted: the priced lines to write, and what they rest on."""

    profile: BeneficiaryProfile | None
    rate: Decimal
    existing: Order | None  # the member's order for this distribution, whatever its status
    lines: list[OrderLine]  # unsaved, in product id order
    # What the check read, for a caller that shows it next (the cart): the products offered
    # among those of ``quantities`` and ``before``, and the raw figures of the lines checked.
    products: dict[int, Product] = field(default_factory=dict)
    available: dict[int, Decimal] = field(default_factory=dict)


def order_check(
    *,
    membership: Membership,
    distribution: Distribution,
    quantities: Mapping[int, Decimal],
    before: Mapping[int, Decimal] | None = None,
    lock: bool = False,
    just_sold: Collection[int] = (),
) -> OrderCheck:
    """Check the order ``quantities`` ({product id: quantity}) would make, or raise ``Refusal``.

    The rules: the distribution takes orders; the member's profile is active and its access
    not expired; each line is a product offered at the distribution, in a quantity valid for
    its unit, within what is available counting the units the member's own order holds; the
    total fits what is left of the monthly budget.

    The confirmation checks the whole cart (``before`` None), with ``lock`` inside its
    transaction: the member's row, their order, then the product rows (in id order, so two
    confirmations never deadlock) are locked before the availability is read. The cart checks
    a change, ``before`` being the cart before it: only the lines that change are checked,
    and the budget only when the total grows, so that lowering a quantity or removing a
    product is never refused (a member over budget can always get back under it). Lines
    left unchecked whose product is no longer offered are left out of the result.
    ``just_sold``: products whose stock a live reading has just lowered (a sale at the till):
    a shortage of them says so.

    A fixed number of queries whatever the number of lines.
    """
    if lock:
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        distribution = Distribution.objects.select_related("shop").get(
            pk=distribution.pk, shop_id=membership.shop_id
        )
    distribution_open_check(distribution)
    profile = member_check(membership)
    existing = _member_order(membership, distribution, lock=lock)
    own = own_quantities(existing)
    ids = sorted(set(quantities) | set(before or {}))
    if lock:
        list(
            Product.objects.select_for_update()
            .filter(shop_id=membership.shop_id, pk__in=sorted(set(ids) | set(own)))
            .order_by("pk")
        )
    products = {p.pk: p for p in orderable_products(distribution=distribution, product_ids=ids)}
    checked = {pk for pk, qty in quantities.items() if before is None or before.get(pk) != qty}
    available = available_quantities(shop=distribution.shop, product_ids=checked) if checked else {}
    rate = member_rate(membership)
    lines: list[OrderLine] = []
    for pk in sorted(quantities):
        quantity = quantities[pk]
        product = products.get(pk)
        if pk in checked:
            _line_check(
                pk,
                product,
                quantity,
                member_available(available=available, own=own, product_id=pk),
                just_sold=pk in just_sold,
            )
        if product is None:
            continue
        unit_price = solidarity_price(product.price, rate)
        lines.append(
            OrderLine(
                product=product,
                product_name=product.name,
                quantity=quantity,
                shelf_price=product.price,
                participation_rate=rate,
                unit_price=unit_price,
            )
        )
    total = _total((line.unit_price, line.quantity) for line in lines)
    if lines and (before is None or total > _before_total(before, products, rate)):
        _budget_check(membership, distribution, profile, existing, total)
    return OrderCheck(
        profile=profile,
        rate=rate,
        existing=existing,
        lines=lines,
        products=products,
        available=available,
    )


def _member_order(
    membership: Membership, distribution: Distribution, *, lock: bool
) -> Order | None:
    orders = Order.objects.filter(distribution=distribution, membership=membership)
    if lock:
        orders = orders.select_for_update()
    return orders.prefetch_related("lines").first()


def _line_check(
    pk: int,
    product: Product | None,
    quantity: Decimal,
    can_order: Decimal,
    *,
    just_sold: bool = False,
) -> None:
    """Refuse this line (``about`` its product) unless it may be ordered."""
    if product is None:
        raise Refusal(
            _("Un produit de votre panier n'est pas proposé à cette distribution."),
            code="not_offered",
            about=pk,
        )
    error = quantity_error(quantity, product.unit)
    if error:
        raise Refusal(f"{product.name} : {error}", code="bad_quantity", about=pk)
    if quantity > can_order and just_sold:
        raise Refusal(
            _(
                "%(product)s : il n'en reste plus que %(available)s : "
                "un achat vient d'être fait en magasin."
            )
            % {"product": product.name, "available": quantity_text(max(ZERO, can_order))},
            code="sold_in_shop",
            about=pk,
        )
    if quantity > can_order:
        raise Refusal(
            _("%(product)s : il n'en reste que %(available)s, vous en demandez %(quantity)s.")
            % {
                "product": product.name,
                "available": quantity_text(max(ZERO, can_order)),
                "quantity": quantity_text(quantity),
            },
            code="not_available",
            about=pk,
        )


def _budget_check(
    membership: Membership,
    distribution: Distribution,
    profile: BeneficiaryProfile | None,
    existing: Order | None,
    total: Decimal,
) -> None:
    """Refuse an order of ``total`` that does not fit what is left of the monthly budget
    (the member's order being replaced does not count)."""
    budget = profile.monthly_budget if profile else None
    if budget is None:
        return
    spent = month_spent(
        membership=membership,
        distribution=distribution,
        exclude_order_id=existing.pk if existing else None,
    )
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
            },
            code="over_budget",
        )


def _total(priced: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    return sum((line_total(price, quantity) for price, quantity in priced), ZERO)


def _before_total(
    before: Mapping[int, Decimal], products: Mapping[int, Product], rate: Decimal
) -> Decimal:
    return _total(
        (solidarity_price(products[pk].price, rate), quantity)
        for pk, quantity in before.items()
        if pk in products
    )


def slot_check(
    *, distribution: Distribution, slot_id: int | None, order: Order | None, lock: bool = False
) -> PickupSlot | None:
    """The slot an order of ``distribution`` is to be picked up in, or raise ``Refusal``.

    A distribution without slots takes none (None). With slots, one of its own is required,
    and it must have a place left, ``order`` (the order being confirmed again or moved) not
    counting against it. With ``lock`` (inside the confirmation's or the move's transaction),
    the slot row is locked before its orders are counted: two orders for its last place
    cannot both get it.
    """
    slots = PickupSlot.objects.filter(distribution_id=distribution.pk)
    if slot_id is None:
        if slots.exists():
            raise Refusal(_("Choisissez un créneau de retrait."), code="slot_required")
        return None
    if lock:
        slots = slots.select_for_update()
    slot = slots.filter(pk=slot_id).first()
    if slot is None:
        raise Refusal(
            _("Ce créneau n'existe pas pour cette distribution, choisissez-en un autre."),
            code="slot_unknown",
        )
    taken = slot_taken(slot_ids=[slot.pk], exclude_order_id=order.pk if order else None)
    if taken.get(slot.pk, 0) >= slot.capacity:
        raise Refusal(_("Ce créneau est complet, choisissez-en un autre."), code="slot_full")
    return slot


def budget_left(
    *,
    membership: Membership,
    distribution: Distribution | None = None,
    moment: datetime | None = None,
) -> Decimal | None:
    """What is left of the member's monthly budget in the month of ``distribution`` (or of
    ``moment``, default now), never below zero; None when they have no budget."""
    profile = member_profile(membership)
    if profile is None or profile.monthly_budget is None:
        return None
    spent = month_spent(membership=membership, distribution=distribution, moment=moment)
    return max(ZERO, profile.monthly_budget - spent)
