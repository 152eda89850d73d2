"""Manager pages of the pick-up slots: add, change, delete, orders by slot, move an order."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from distributions.forms import SlotForm, SlotMoveForm, form_errors_text
from distributions.models import Distribution, Order, OrderStatus, PickupSlot
from distributions.selectors import SlotPlaces, slot_places
from distributions.slots import order_slot_move, slot_delete, slot_save
from epiclic.collation import collation_key
from epiclic.errors import Refusal
from shops.access import ShopRequest, access_object, manager_view


@dataclass
class SlotGroup:
    """A slot (None: orders without one) and its orders, by name."""

    places: SlotPlaces | None
    orders: list[Order] = field(default_factory=list)


def _slots_url(request: ShopRequest, distribution: Distribution) -> HttpResponseRedirect:
    return redirect("distributions:slots", shop_slug=request.shop.slug, pk=distribution.pk)


def _groups(distribution: Distribution, places: list[SlotPlaces]) -> list[SlotGroup]:
    groups = {p.slot.pk: SlotGroup(places=p) for p in places}
    loose = SlotGroup(places=None)
    orders = (
        Order.objects.filter(distribution=distribution)
        .exclude(status=OrderStatus.CANCELLED)
        .select_related("membership__user")
    )
    for order in sorted(orders, key=lambda o: collation_key(_member_name(o))):
        groups.get(order.slot_id or 0, loose).orders.append(order)
    return [*groups.values(), *([loose] if loose.orders else [])]


def _member_name(order: Order) -> str:
    user = order.membership.user
    return user.get_full_name() or user.email


def _initial(distribution: Distribution) -> dict[str, object]:
    """A new slot starts where the last one ends (or with the distribution), for 30 minutes."""
    last = distribution.slots.order_by("-ends_at").first()
    starts = last.ends_at if last else distribution.starts_at
    return {
        "starts_at": timezone.localtime(starts),
        "ends_at": timezone.localtime(starts + datetime.timedelta(minutes=30)),
        "capacity": last.capacity if last else 10,
    }


@manager_view
def slots(request: ShopRequest, pk: int) -> HttpResponse:
    """The distribution's slots and their orders (GET); add a slot (POST)."""
    distribution = access_object(request.shop, Distribution, pk=pk)
    form = SlotForm(request.POST or None, initial=_initial(distribution))
    if request.method == "POST":
        if form.is_valid():
            try:
                slot_save(distribution=distribution, **form.cleaned_data)
            except Refusal as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("Créneau ajouté."))
                return _slots_url(request, distribution)
    places = slot_places(distribution=distribution)
    return render(
        request,
        "distributions/slots.html",
        {
            "distribution": distribution,
            "form": form,
            "groups": _groups(distribution, places),
            "places": places,
            "editable": distribution.validated_at is None,
        },
        status=400 if form.errors else 200,
    )


def _slot(request: ShopRequest, pk: int, slot_pk: int) -> tuple[Distribution, PickupSlot]:
    distribution = access_object(request.shop, Distribution, pk=pk)
    distribution.shop = request.shop
    slot = get_object_or_404(PickupSlot, pk=slot_pk, distribution=distribution)
    slot.distribution = distribution  # its title shows its hours in the shop's zone, no query
    return distribution, slot


@manager_view
def slot_edit(request: ShopRequest, pk: int, slot_pk: int) -> HttpResponse:
    distribution, slot = _slot(request, pk, slot_pk)
    initial = {
        "starts_at": timezone.localtime(slot.starts_at),
        "ends_at": timezone.localtime(slot.ends_at),
        "capacity": slot.capacity,
    }
    form = SlotForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            slot_save(distribution=distribution, slot=slot, **form.cleaned_data)
        except Refusal as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Créneau enregistré."))
            return _slots_url(request, distribution)
    return render(
        request,
        "distributions/slot_form.html",
        {"distribution": distribution, "slot": slot, "form": form},
        status=400 if form.errors else 200,
    )


@manager_view
@require_POST
def slot_remove(request: ShopRequest, pk: int, slot_pk: int) -> HttpResponse:
    distribution, slot = _slot(request, pk, slot_pk)
    try:
        slot_delete(slot=slot)
    except Refusal as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Créneau supprimé."))
    return _slots_url(request, distribution)


@manager_view
@require_POST
def order_move(request: ShopRequest, pk: int, order_pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    order = get_object_or_404(Order, pk=order_pk, distribution=distribution)
    form = SlotMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _slots_url(request, distribution)
    try:
        order = order_slot_move(order=order, slot_id=form.cleaned_data["slot"])
    except Refusal as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Commande de %(name)s déplacée au créneau %(slot)s.")
            % {"name": _member_name(order), "slot": order.slot},
        )
    return _slots_url(request, distribution)
