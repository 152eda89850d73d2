"""Beneficiary pages: the open distributions, the ordering page and its figures, confirming.

The cart's changes are in ``views/cart.py``, *Mes commandes* in ``views/my_orders.py``."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Product
from distributions import cart as carts
from distributions import offer
from distributions.availability import (
    displayable,
    stock_figures,
    stock_figures_from,
    stock_refresh_throttled,
)
from distributions.models import Distribution, DistributionState, Order, OrderStatus
from distributions.pricing import line_total, member_profile, member_rate, solidarity_price
from distributions.rules import member_available, own_quantities
from distributions.selectors import (
    month_spent,
    open_distributions,
    slot_places,
    upcoming_distributions,
)
from distributions.services import order_confirm
from epiclic.busy import retry_on_lock
from epiclic.errors import Refusal
from shops.access import ShopRequest, access_object, beneficiary_view

ZERO = Decimal("0")


@dataclass
class CartItem:
    product: Product
    quantity: Decimal
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return line_total(self.unit_price, self.quantity)


@beneficiary_view
def order(request: ShopRequest) -> HttpResponse:
    distributions = list(open_distributions(shop=request.shop))
    ordered = set(
        Order.objects.filter(
            membership=request.membership,
            status=OrderStatus.CONFIRMED,
            distribution__in=distributions,
        ).values_list("distribution_id", flat=True)
    )
    return render(
        request,
        "distributions/order_index.html",
        {
            "distributions": distributions,
            "ordered": ordered,
            # So that an empty page still says when ordering opens next.
            "upcoming": list(upcoming_distributions(shop=request.shop)[:3]),
        },
    )


def own_order(request: ShopRequest, distribution: Distribution) -> Order | None:
    return (
        Order.objects.filter(
            distribution=distribution,
            membership=request.membership,
            status=OrderStatus.CONFIRMED,
        )
        .prefetch_related("lines")
        .first()
    )


def cart_context(
    request: ShopRequest,
    distribution: Distribution,
    products: dict[int, Product],
    own: Order | None,
) -> dict[str, Any]:
    rate = member_rate(request.membership)
    items = [
        CartItem(
            product=product, quantity=quantity, unit_price=solidarity_price(product.price, rate)
        )
        for pk, quantity in carts.cart_get(request, distribution).items()
        # A product no longer offered is not shown; the confirmation would refuse it anyway.
        if (product := products.get(pk)) is not None
    ]
    total = sum((item.total for item in items), ZERO)
    profile = member_profile(request.membership)
    budget_left = None
    if profile and profile.monthly_budget is not None:
        spent = month_spent(
            membership=request.membership,
            distribution=distribution,
            exclude_order_id=own.pk if own else None,
        )
        budget_left = profile.monthly_budget - spent
    return {
        "distribution": distribution,
        "items": items,
        "total": total,
        "budget_left": budget_left,
        "over_budget": budget_left is not None and total > budget_left,
        "own_order": own,
        # The pick-up slots to choose from when confirming (none: the distribution has none).
        "slots": slot_places(distribution=distribution, order=own),
        "chosen_slot": own.slot_id if own else None,
    }


@dataclass
class MemberFigures:
    """What this member can still put in the cart per product offered (never below zero), and
    when the oldest of the remote figures behind it was last known true (None: none remote)."""

    can_order: dict[int, Decimal]
    known_at: datetime.datetime | None

    def encoded(self) -> str:
        """The figures as the page's poll sends them back (``_decode_known``)."""
        return ",".join(f"{pk}:{value.normalize():f}" for pk, value in self.can_order.items())


def member_can_order(
    available: dict[int, Decimal], own: Order | None, product_ids: Iterable[int]
) -> dict[int, Decimal]:
    """What the member can still put in the cart of each product, from the raw figures."""
    held = own_quantities(own)
    return {
        pk: displayable(member_available(available=available, own=held, product_id=pk))
        for pk in product_ids
    }


def member_figures(
    request: ShopRequest,
    product_ids: list[int],
    own: Order | None,
    stocks: list[tuple[int, str, Decimal]] | None = None,
) -> MemberFigures:
    """``stocks``: what the figures start from, when read already (``offer.offer_read``)."""
    if stocks is None:
        figures = stock_figures(shop=request.shop, product_ids=product_ids)
    else:
        figures = stock_figures_from(shop=request.shop, rows=stocks)
    available = {pk: figure.available for pk, figure in figures.items()}
    can_order = member_can_order(available, own, product_ids)
    # The oldest: every figure of the page is at least that fresh, which is what can be said.
    known = [figure.read_at for figure in figures.values() if figure.read_at is not None]
    return MemberFigures(can_order=can_order, known_at=min(known, default=None))


def _cart_products(
    distribution: Distribution, cart: dict[int, Decimal], offered: set[int]
) -> dict[int, Product]:
    """The cart's products among ``offered`` (the ids ``offer.offer_read`` just read with
    ``orderable_products``: its rule is not run twice); an empty cart costs no query."""
    ids = [pk for pk in cart if pk in offered]
    if not ids:
        return {}
    return {p.pk: p for p in Product.objects.filter(shop_id=distribution.shop_id, pk__in=ids)}


def order_page_data(
    request: ShopRequest,
    distribution: Distribution,
    query: str = "",
    errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    """``errors``: {product id: message} of the fields a refused change marks (the page
    without JavaScript); the ordinary page passes none and formats no more than before."""
    profile = member_profile(request.membership)
    own = own_order(request, distribution)
    if own is not None and not carts.cart_exists(request, distribution):
        carts.cart_load_order(request, own)
    rate = member_rate(request.membership)
    read = offer.offer_read(distribution=distribution)
    versions = read.versions
    figures = member_figures(request, [pk for pk, _updated in versions], own, read.stocks)
    can_order = figures.can_order
    cart = carts.cart_get(request, distribution)
    cells = offer.MemberCells()
    shown, found = versions, None
    if query:  # the search without JavaScript: only the matching products are sent
        found = offer.offer_search(distribution=distribution, query=query)
        matching = set(found)
        shown = [version for version in versions if version[0] in matching]
    segments = offer.offer_segments(
        distribution=distribution,
        shop=request.shop,
        rate=rate,
        versions=shown,
        product_ids=found,
    )
    marked = errors or {}
    html = offer.offer_html(
        segments,
        lambda pk, name: cells(
            product_id=pk,
            name=name,
            available=can_order[pk],
            in_cart=cart.get(pk),
            error=marked.get(pk, ""),
        ),
    )
    in_cart = _cart_products(distribution, cart, {pk for pk, _updated in versions})
    return {
        "profile": profile,
        "rate": rate,
        "offer": html,
        "can_order": can_order,
        "figures": figures,
        "query": query,
        "found": len(found or ()),
        **cart_context(request, distribution, in_cart, own),
    }


@beneficiary_view
def order_distribution(request: ShopRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    if distribution.state != DistributionState.OPEN:
        messages.error(request, _("Les commandes de cette distribution ne sont pas ouvertes."))
        return redirect("distributions:order", shop_slug=request.shop.slug)
    return render(
        request,
        "distributions/order_distribution.html",
        order_page_data(request, distribution, request.GET.get("q", "").strip()[:100]),
    )


def _decode_known(text: str) -> dict[int, Decimal]:
    """The figures the page shows, as its poll sends them back; what cannot be read is left
    out (that product's cells are then sent again)."""
    known: dict[int, Decimal] = {}
    for pair in text.split(",")[:2000]:
        pk, _sep, value = pair.partition(":")
        try:
            known[int(pk)] = Decimal(value)
        except (ValueError, InvalidOperation):
            continue
    return known


@beneficiary_view
def availability(request: ShopRequest, pk: int) -> HttpResponse:
    """The ordering page's poll (htmx, every few seconds while the page is visible): the age of
    the figures, and out of band the cells of the products whose figure changed since the
    page's (``known``), so a member typing a quantity elsewhere is not disturbed. Escarcelle
    is read live at most once per grocery every ``STOCK_LIVE_READ_EVERY_S`` seconds, whoever
    polls. Without JavaScript there is no poll: the figures are those of the last load."""
    distribution = access_object(request.shop, Distribution, pk=pk)
    if distribution.state != DistributionState.OPEN:
        return HttpResponse(status=286)  # htmx stops polling
    versions = offer.offer_versions(distribution=distribution)
    stock_refresh_throttled(
        shop=request.shop,
        product_ids=[product_id for product_id, _ in versions],
        every_s=settings.STOCK_LIVE_READ_EVERY_S,
    )
    figures = member_figures(
        request, [pk for pk, _updated in versions], own_order(request, distribution)
    )
    known = _decode_known(request.GET.get("known", ""))
    changed = [pk for pk, value in figures.can_order.items() if known.get(pk) != value]
    return render(
        request,
        "distributions/order_distribution.html#availability",
        {
            "distribution": distribution,
            "figures": figures,
            "changed_cells": _changed_cells(request, distribution, figures, changed),
        },
    )


def _changed_cells(
    request: ShopRequest, distribution: Distribution, figures: MemberFigures, changed: list[int]
) -> SafeString:
    if not changed:
        return mark_safe("")
    cells = offer.MemberCells()
    cart = carts.cart_get(request, distribution)
    names = dict(Product.objects.filter(pk__in=changed).values_list("pk", "name"))
    return mark_safe(  # noqa: S308 - MemberCells escapes what it formats
        "".join(
            cells(
                product_id=pk,
                name=escape(names.get(pk, "")),
                available=figures.can_order[pk],
                in_cart=cart.get(pk),
                oob=True,
            )
            for pk in changed
        )
    )


@beneficiary_view
@require_POST
def confirm(request: ShopRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    quantities = carts.cart_get(request, distribution)
    slot = request.POST.get("slot", "")
    try:
        # A lock at the opening of orders: the whole confirmation again (epiclic.busy).
        retry_on_lock(
            lambda: order_confirm(
                membership=request.membership,
                distribution=distribution,
                quantities=quantities,
                slot_id=int(slot) if slot.isdigit() else None,
            )
        )
    except Refusal as refused:
        messages.error(request, refused.message)
        return redirect("distributions:order_distribution", shop_slug=request.shop.slug, pk=pk)
    carts.cart_clear(request, distribution)
    messages.success(request, _("Votre commande est confirmée."))
    return redirect("distributions:my_orders", shop_slug=request.shop.slug)
