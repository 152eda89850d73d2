"""Pick-up slots: the manager's writes (add, change, delete a slot, move an order).

The beneficiary's side (choosing a slot when confirming) is ``rules.slot_check``, called by
``services.order_confirm`` under its locks; moving an order calls the same check.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from distributions.models import Distribution, Order, OrderStatus, PickupSlot
from distributions.rules import slot_check
from distributions.selectors import slot_taken
from epiclic.errors import Refusal


def _hm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _slot_fits(
    distribution: Distribution, *, slot: PickupSlot | None, starts_at: datetime, ends_at: datetime
) -> None:
    """Refuse a slot that ends before it starts, lies outside the distribution's time or
    overlaps another slot of the distribution."""
    if ends_at <= starts_at:
        raise Refusal(_("La fin du créneau doit être après son début."), code="slot_order")
    # Without an end, the distribution lasts until midnight of its day (local time).
    local_start = timezone.localtime(distribution.starts_at)
    end = distribution.ends_at or timezone.make_aware(
        datetime.combine(local_start.date(), datetime.max.time()), local_start.tzinfo
    )
    if starts_at < distribution.starts_at or ends_at > end:
        raise Refusal(
            _(
                "Le créneau doit se situer pendant la distribution "
                "(de %(start)s à %(end)s le %(day)s)."
            )
            % {
                "start": _hm(distribution.starts_at),
                "end": _hm(end) if distribution.ends_at else "24:00",
                "day": local_start.strftime("%d/%m/%Y"),
            },
            code="slot_outside",
        )
    others = PickupSlot.objects.filter(
        distribution=distribution, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if slot is not None:
        others = others.exclude(pk=slot.pk)
    other = others.first()
    if other is not None:
        raise Refusal(
            _("Ce créneau chevauche le créneau %(other)s : choisissez d'autres heures.")
            % {"other": str(other)},
            code="slot_overlap",
        )


def _distribution_locked(distribution: Distribution) -> Distribution:
    """The distribution locked (slot writes of one distribution take turns), unless validated."""
    distribution = Distribution.objects.select_for_update().get(pk=distribution.pk)
    if distribution.validated_at is not None:
        raise Refusal(
            _("Une distribution validée ne peut plus être modifiée."), code="already_validated"
        )
    return distribution


@transaction.atomic
def slot_save(
    *,
    distribution: Distribution,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    slot: PickupSlot | None = None,
) -> PickupSlot:
    """Add a slot to ``distribution`` (``slot`` None) or change ``slot``, or raise ``Refusal``."""
    distribution = _distribution_locked(distribution)
    if capacity <= 0:
        raise Refusal(_("Un créneau doit avoir au moins une place."), code="slot_capacity")
    _slot_fits(distribution, slot=slot, starts_at=starts_at, ends_at=ends_at)
    if slot is None:
        slot = PickupSlot(distribution=distribution)
    else:
        slot = PickupSlot.objects.select_for_update().get(pk=slot.pk, distribution=distribution)
        taken = slot_taken(slot_ids=[slot.pk]).get(slot.pk, 0)
        if capacity < taken:
            raise Refusal(
                _(
                    "Ce créneau a déjà %(taken)s commandes : sa capacité ne peut pas être "
                    "inférieure. Déplacez d'abord des commandes vers un autre créneau."
                )
                % {"taken": taken},
                code="slot_capacity_below_orders",
            )
    slot.starts_at, slot.ends_at, slot.capacity = starts_at, ends_at, capacity
    slot.save()
    return slot


@transaction.atomic
def slot_delete(*, slot: PickupSlot) -> None:
    """Delete a slot that holds no order (cancelled ones aside), or raise ``Refusal``: its
    orders are moved first, by hand, so that nobody loses the time they chose unawares."""
    _distribution_locked(slot.distribution)
    slot = PickupSlot.objects.select_for_update().get(pk=slot.pk)
    taken = slot_taken(slot_ids=[slot.pk]).get(slot.pk, 0)
    if taken:
        raise Refusal(
            _(
                "Ce créneau a %(taken)s commande(s) : déplacez-les vers un autre créneau "
                "avant de le supprimer."
            )
            % {"taken": taken},
            code="slot_has_orders",
        )
    slot.delete()


@transaction.atomic
def order_slot_move(*, order: Order, slot_id: int) -> Order:
    """Move an order to another slot of its distribution, refused if that slot is full.

    Locks the order, then the slot (the order in which the confirmation locks them).
    """
    order = Order.objects.select_for_update().select_related("distribution").get(pk=order.pk)
    if order.distribution.validated_at is not None:
        raise Refusal(
            _("Une distribution validée ne peut plus être modifiée."), code="already_validated"
        )
    if order.status != OrderStatus.CONFIRMED:
        raise Refusal(_("Cette commande est annulée."), code="order_cancelled")
    if order.slot_id == slot_id:
        return order
    order.slot = slot_check(
        distribution=order.distribution, slot_id=slot_id, order=order, lock=True
    )
    order.save(update_fields=["slot", "updated_at"])
    return order
