"""Beneficiary pages: open distributions, the cart, confirming, *Mes commandes*."""

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
from distributions.forms import CartLineForm, form_errors_text
from distributions.models import Distribution, DistributionState, Order, OrderStatus
from distributions.pricing import line_total, member_profile, member_rate, solidarity_price
from distributions.rules import OrderCheck, member_available, order_check, own_quantities
from distributions.selectors import (
    member_orders,
    month_spent,
    open_distributions,
    orderable_products,
    slot_places,
    upcoming_distributions,
)
from distributions.services import order_cancel, order_confirm
from epiclic.busy import retry_on_lock
from epiclic.errors import Refusal
from epiclic.numbers import decimal_text, euros
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


def _own_order(request: ShopRequest, distribution: Distribution) -> Order | None:
    return (
        Order.objects.filter(
            distribution=distribution,
            membership=request.membership,
            status=OrderStatus.CONFIRMED,
        )
        .prefetch_related("lines")
        .first()
    )


def _cart_context(
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


def _can_order(
    available: dict[int, Decimal], own: Order | None, product_ids: Iterable[int]
) -> dict[int, Decimal]:
    """What the member can still put in the cart of each product, from the raw figures."""
    held = own_quantities(own)
    return {
        pk: displayable(member_available(available=available, own=held, product_id=pk))
        for pk in product_ids
    }


def _member_figures(
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
    can_order = _can_order(available, own, product_ids)
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


def _order_page_data(
    request: ShopRequest,
    distribution: Distribution,
    query: str = "",
    errors: dict[int, str] | None = None,
) -> dict[str, Any]:
    """``errors``: {product id: message} of the fields a refused change marks (the page
    without JavaScript); the ordinary page passes none and formats no more than before."""
    profile = member_profile(request.membership)
    own = _own_order(request, distribution)
    if own is not None and not carts.cart_exists(request, distribution):
        carts.cart_load_order(request, own)
    rate = member_rate(request.membership)
    read = offer.offer_read(distribution=distribution)
    versions = read.versions
    figures = _member_figures(request, [pk for pk, _updated in versions], own, read.stocks)
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
    if errors:
        html = offer.offer_html(
            segments,
            lambda pk, name: cells(
                product_id=pk,
                name=name,
                available=can_order[pk],
                in_cart=cart.get(pk),
                error=errors.get(pk, ""),
            ),
        )
    else:
        html = offer.offer_html(
            segments,
            lambda pk, name: cells(
                product_id=pk,
                name=name,
                available=can_order[pk],
                in_cart=cart.get(pk),
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
        **_cart_context(request, distribution, in_cart, own),
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
        _order_page_data(request, distribution, request.GET.get("q", "").strip()[:100]),
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
    figures = _member_figures(
        request, [pk for pk, _updated in versions], _own_order(request, distribution)
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


def _cart_line_data(request: ShopRequest) -> dict[str, str]:
    """One line of the cart from a post: ``product`` and ``quantity`` (the cart's own ✕
    buttons, scripts), or the ordering page's one form, where the row's button names the
    product and its field is ``quantity-<id>``."""
    product = request.POST.get("product", "")
    quantity = request.POST.get("quantity")
    if quantity is None:
        quantity = request.POST.get(f"quantity-{product}", "")
    return {"product": product, "quantity": quantity}


@dataclass
class ChangedRow:
    product_id: int
    name: str
    cells: SafeString


def _changed_row(
    request: ShopRequest,
    distribution: Distribution,
    own: Order | None,
    cart: dict[int, Decimal],
    error: str | None,
    checked: OrderCheck | None,
) -> ChangedRow | None:
    """The cells of the row whose button was pressed, as the cart now stands: swapped out of
    band, they keep the row's field ids, so htmx gives the focus back to the same field or
    button. None when the post named no product offered here. ``checked``: what the cart's
    check just read (the product, its figure), not read again."""
    try:
        product_id = int(request.POST.get("product", ""))
    except ValueError:
        return None
    product = checked.products.get(product_id) if checked else None
    if product is not None:
        name = product.name
    else:
        found = list(
            orderable_products(distribution=distribution, product_ids=[product_id]).values_list(
                "name", flat=True
            )
        )
        if not found:
            return None
        name = found[0]
    if checked is not None and product_id in checked.available:
        can_order = _can_order(checked.available, own, [product_id])
    else:
        can_order = _member_figures(request, [product_id], own).can_order
    cells = offer.MemberCells()(
        product_id=product_id,
        name=escape(name),
        available=can_order[product_id],
        in_cart=cart.get(product_id),
        oob=True,
        error=error or "",
    )
    return ChangedRow(product_id=product_id, name=name, cells=mark_safe(cells))  # noqa: S308


def _cart_status(row: ChangedRow | None, cart: dict[int, Decimal], total: Decimal) -> str:
    """What the status region announces: « Lentilles vertes : 2 dans le panier, total 3,20 € »."""
    if row is None:
        return ""
    quantity = cart.get(row.product_id)
    if not quantity:
        return _("%(name)s : retiré du panier, total %(total)s") % {
            "name": row.name,
            "total": euros(total),
        }
    return _("%(name)s : %(quantity)s dans le panier, total %(total)s") % {
        "name": row.name,
        "quantity": decimal_text(quantity),
        "total": euros(total),
    }


@dataclass
class CartRefused:
    """A cart change refused: its message, and the products whose field it concerns."""

    message: str
    product_ids: list[int]


def _cart_save_typed(request: ShopRequest, distribution: Distribution) -> CartRefused | None:
    """Without JavaScript, Enter in a quantity sends the list's first button, which names no
    product: the quantities typed are those that differ from what the page showed (the cart's,
    or 1 for a product not in it; an emptied field is left alone), checked and saved together.
    Returns the refusal, or None when saved. The refusal concerns the field it names (a
    malformed quantity, a line the rules refuse, ``Refusal.about``); one that names none (the
    budget, the member's access) concerns every quantity typed, refused together."""
    before = carts.cart_get(request, distribution)
    after = dict(before)
    typed: list[int] = []
    for key in request.POST:
        product, value = key.removeprefix("quantity-"), request.POST.get(key, "")
        if product == key or not value.strip():
            continue
        form = CartLineForm({"product": product, "quantity": value})
        if not form.is_valid():
            named = [int(product)] if product.isdecimal() else []
            return CartRefused(form_errors_text(form), named)
        pk, quantity = form.cleaned_data["product"], form.cleaned_data["quantity"]
        if quantity != before.get(pk, Decimal("1")):
            after = carts.cart_with(after, pk, quantity)
            typed.append(pk)
    if after == before:
        return CartRefused(_("Choisissez « Ajouter » ou « Modifier » sur la ligne du produit."), [])
    try:
        order_check(
            membership=request.membership,
            distribution=distribution,
            quantities=after,
            before=before,
        )
    except Refusal as refused:
        return CartRefused(refused.message, [refused.about] if refused.about is not None else typed)
    carts.cart_save(request, distribution, after)
    return None


def _cart_refused_page(
    request: ShopRequest, distribution: Distribution, error: str, product_ids: list[int]
) -> HttpResponse:
    """Without JavaScript, a refused change answers the ordering page itself, not a redirect
    (RGAA 11.10): the message at the top as before, and each field it concerns marked invalid
    and described by the message under it, showing what the cart keeps (nothing was saved)."""
    messages.error(request, error)
    errors = dict.fromkeys(product_ids, error)
    return render(
        request,
        "distributions/order_distribution.html",
        {**_order_page_data(request, distribution, errors=errors), "cart_refused": True},
        status=400,
    )


@beneficiary_view
def cart_update(request: ShopRequest, pk: int) -> HttpResponse:
    """Set one product's quantity in the cart (0 removes it).

    The change is checked by the confirmation's own rules (``order_check``): what it would
    refuse is refused now, with its message, and the cart keeps what it had. Without
    JavaScript a refusal answers the ordering page (``_cart_refused_page``), whose address is
    then this one: a GET here (a language change, a reload) goes back to the page.
    """
    distribution = access_object(request.shop, Distribution, pk=pk)
    if request.method != "POST":
        return redirect("distributions:order_distribution", shop_slug=request.shop.slug, pk=pk)
    form = CartLineForm(_cart_line_data(request))
    error = None
    changed = None
    checked = None
    posted = request.POST.get("product", "")
    # Without JavaScript, the fields a refusal marks: the row's own, or those it names.
    marked = [int(posted)] if posted.isdecimal() else []
    if not posted:
        typed = _cart_save_typed(request, distribution)
        if typed is not None:
            error, marked = typed.message, typed.product_ids
    elif not form.is_valid():
        error = form_errors_text(form)
    else:
        changed = form.cleaned_data["product"]
        before = carts.cart_get(request, distribution)
        after = carts.cart_with(before, changed, form.cleaned_data["quantity"])
        try:
            checked = order_check(
                membership=request.membership,
                distribution=distribution,
                quantities=after,
                before=before,
            )
        except Refusal as refused:
            error = refused.message
        else:
            carts.cart_save(request, distribution, after)
    if request.htmx:
        cart = carts.cart_get(request, distribution)
        if checked is None:  # refused, or quantities typed: read what the cart shows
            products = {
                p.pk: p for p in orderable_products(distribution=distribution, product_ids=cart)
            }
            own = _own_order(request, distribution)
        else:  # the check read them all for the cart as it now stands
            products = checked.products
            existing = checked.existing
            own = existing if existing and existing.status == OrderStatus.CONFIRMED else None
        context = _cart_context(request, distribution, products, own)
        row = _changed_row(request, distribution, own, cart, error, checked)
        return render(
            request,
            "distributions/order_distribution.html#cart",
            {
                **context,
                "cart_error": error,
                # The product's row follows the cart (Ajouter ↔ Modifier, the quantity held,
                # the refusal tied to its field); the page's status region says what changed.
                "row_cells": row.cells if row else "",
                "cart_status": _cart_status(row, cart, context["total"]) if not error else "",
                "swap_summary": True,
            },
        )
    if error and distribution.state == DistributionState.OPEN:
        return _cart_refused_page(request, distribution, error, marked)
    if error:  # no longer open: the ordering page sends back to the list, saying so
        messages.error(request, error)
    return redirect("distributions:order_distribution", shop_slug=request.shop.slug, pk=pk)


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
