"""The ordering page's cart: one product's quantity set (htmx, or the plain form without
JavaScript), checked by the confirmation's own rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from distributions import cart as carts
from distributions import offer
from distributions.forms import CartLineForm, form_errors_text
from distributions.models import Distribution, DistributionState, Order, OrderStatus
from distributions.rules import OrderCheck, order_check
from distributions.selectors import orderable_products
from distributions.views.ordering import (
    cart_context,
    member_can_order,
    member_figures,
    order_page_data,
    own_order,
)
from epiclic.errors import Refusal
from epiclic.numbers import decimal_text, euros
from shops.access import ShopRequest, access_object, beneficiary_view


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
        can_order = member_can_order(checked.available, own, [product_id])
    else:
        can_order = member_figures(request, [product_id], own).can_order
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
        {**order_page_data(request, distribution, errors=errors), "cart_refused": True},
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
            own = own_order(request, distribution)
        else:  # the check read them all for the cart as it now stands
            products = checked.products
            existing = checked.existing
            own = existing if existing and existing.status == OrderStatus.CONFIRMED else None
        context = cart_context(request, distribution, products, own)
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
