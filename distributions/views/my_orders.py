"""*Mes commandes*: a beneficiary's orders, to change or cancel while orders are open."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from distributions import cart as carts
from distributions.models import DistributionState, Order
from distributions.selectors import (
    member_orders,
)
from distributions.services import order_cancel
from epiclic.errors import Refusal
from shops.access import ShopRequest, access_object, beneficiary_view


@beneficiary_view
def my_orders(request: ShopRequest) -> HttpResponse:
    orders = list(member_orders(membership=request.membership))
    return render(request, "distributions/my_orders.html", {"orders": orders})


def _own(request: ShopRequest, pk: int) -> Order:
    # Filtering on the membership: another beneficiary's order answers 404.
    return access_object(
        request.shop,
        Order.objects.filter(membership=request.membership).select_related("distribution"),
        pk=pk,
    )


@beneficiary_view
@require_POST
def my_order_change(request: ShopRequest, pk: int) -> HttpResponse:
    item = _own(request, pk)
    if item.distribution.state != DistributionState.OPEN:
        messages.error(request, _("Les commandes de cette distribution sont fermées."))
        return redirect("distributions:my_orders", shop_slug=request.shop.slug)
    carts.cart_load_order(request, item)
    return redirect(
        "distributions:order_distribution", shop_slug=request.shop.slug, pk=item.distribution_id
    )


@beneficiary_view
def my_order_cancel(request: ShopRequest, pk: int) -> HttpResponse:
    item = _own(request, pk)
    if request.method == "POST":
        try:
            order_cancel(order=item)
        except Refusal as refused:
            messages.error(request, refused.message)
        else:
            carts.cart_clear(request, item.distribution)
            messages.success(request, _("Votre commande est annulée."))
        return redirect("distributions:my_orders", shop_slug=request.shop.slug)
    return render(request, "distributions/my_order_cancel.html", {"order": item})
