"""Beneficiary pages: open distributions, the cart, confirming, *Mes commandes*."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Product
from distributions import cart as carts
from distributions.availability import available_quantities, displayable
from distributions.forms import CartLineForm
from distributions.models import (
    Distribution,
    DistributionState,
    Order,
    OrderLine,
    OrderStatus,
)
from distributions.pricing import line_total, member_rate, solidarity_price
from distributions.selectors import (
    member_orders,
    month_spent,
    open_distributions,
    order_total,
    orderable_products,
    upcoming_distributions,
)
from distributions.services import (
    order_cancel,
    order_confirm,
    quantity_error,
    quantity_text,
)
from epiclic.errors import Refusal
from shops.access import access_object, beneficiary_view
from shops.models import BeneficiaryProfile

ZERO = Decimal("0")


def _profile(request: HttpRequest) -> BeneficiaryProfile | None:
    return BeneficiaryProfile.objects.filter(membership=request.membership).first()


@beneficiary_view
def order(request: HttpRequest) -> HttpResponse:
    distributions = list(open_distributions(shop=request.shop))
    ordered = set(
        Order.objects.filter(
            membership=request.membership,
            status=OrderStatus.CONFIRMED,
            distribution__in=distributions,
        ).values_list("distribution_id", flat=True)
    )
    for distribution in distributions:
        distribution.already_ordered = distribution.pk in ordered
    return render(
        request,
        "distributions/order_index.html",
        {
            "distributions": distributions,
            # So that an empty page still says when ordering opens next.
            "upcoming": list(upcoming_distributions(shop=request.shop)[:3]),
        },
    )


def _own_order(request: HttpRequest, distribution: Distribution) -> Order | None:
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
    request: HttpRequest,
    distribution: Distribution,
    products: dict[int, Product],
    profile: BeneficiaryProfile | None,
    own: Order | None,
) -> dict:
    rate = profile.participation_rate if profile else member_rate(request.membership)
    items = []
    for pk, quantity in carts.cart_get(request, distribution).items():
        product = products.get(pk)
        if product is None:
            continue  # no longer offered; the confirmation would refuse it anyway
        unit_price = solidarity_price(product.price, rate)
        items.append(
            {
                "product": product,
                "quantity": quantity,
                "unit_price": unit_price,
                "total": line_total(unit_price, quantity),
            }
        )
    total = sum((item["total"] for item in items), ZERO)
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
    }


def _order_page_data(request: HttpRequest, distribution: Distribution) -> dict:
    profile = _profile(request)
    own = _own_order(request, distribution)
    if own is not None and not carts.cart_exists(request, distribution):
        carts.cart_load_order(request, own)
    products = list(orderable_products(distribution=distribution))
    by_id = {p.pk: p for p in products}
    available = available_quantities(shop=request.shop, product_ids=list(by_id))
    own_quantities = {line.product_id: line.quantity for line in own.lines.all()} if own else {}
    cart = carts.cart_get(request, distribution)
    rate = profile.participation_rate if profile else member_rate(request.membership)
    rows = [
        {
            "product": p,
            "price": solidarity_price(p.price, rate),
            "available": displayable(available.get(p.pk, ZERO) + own_quantities.get(p.pk, ZERO)),
            "in_cart": cart.get(p.pk),
        }
        for p in products
    ]
    return {
        "profile": profile,
        "rate": rate,
        "rows": rows,
        **_cart_context(request, distribution, by_id, profile, own),
    }


@beneficiary_view
def order_distribution(request: HttpRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    if distribution.state != DistributionState.OPEN:
        messages.error(request, _("Les commandes de cette distribution ne sont pas ouvertes."))
        return redirect("distributions:order", shop_slug=request.shop.slug)
    return render(
        request,
        "distributions/order_distribution.html",
        _order_page_data(request, distribution),
    )


def _can_order(request: HttpRequest, distribution: Distribution, product: Product) -> Decimal:
    """What this member may put in the cart: the free quantity plus what their order holds."""
    free = available_quantities(shop=request.shop, product_ids=[product.pk]).get(product.pk, ZERO)
    held = OrderLine.objects.filter(
        order__membership=request.membership,
        order__distribution=distribution,
        order__status=OrderStatus.CONFIRMED,
        product=product,
    ).aggregate(total=Sum(Coalesce("delivered_quantity", "quantity")))["total"]
    return displayable(free + (held or ZERO))


@beneficiary_view
@require_POST
def cart_update(request: HttpRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    form = CartLineForm(request.POST)
    error = None
    if distribution.state != DistributionState.OPEN:
        error = _("Les commandes de cette distribution ne sont pas ouvertes.")
    elif not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
    else:
        product = orderable_products(
            distribution=distribution, product_ids=[form.cleaned_data["product"]]
        ).first()
        quantity = form.cleaned_data["quantity"]
        if product is None:
            error = _("Ce produit n'est pas proposé à cette distribution.")
        elif quantity and (problem := quantity_error(quantity, product.unit)):
            error = f"{product.name} : {problem}"
        elif quantity and quantity > (left := _can_order(request, distribution, product)):
            # Said now rather than only at confirmation; the cart keeps what it had.
            error = _(
                "%(product)s : il n'en reste que %(available)s, vous en demandez %(quantity)s."
            ) % {
                "product": product.name,
                "available": quantity_text(left),
                "quantity": quantity_text(quantity),
            }
        else:
            carts.cart_set(request, distribution, product.pk, quantity)
    if request.htmx:
        cart = carts.cart_get(request, distribution)
        products = {
            p.pk: p for p in orderable_products(distribution=distribution, product_ids=cart)
        }
        context = _cart_context(
            request, distribution, products, _profile(request), _own_order(request, distribution)
        )
        changed = form.cleaned_data.get("product") if form.is_valid() else None
        return render(
            request,
            "distributions/order_distribution.html#cart",
            {
                **context,
                "cart_error": error,
                # The product row's button follows: Ajouter ↔ Modifier.
                "changed_id": changed,
                "changed_in_cart": changed in cart,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("distributions:order_distribution", shop_slug=request.shop.slug, pk=pk)


@beneficiary_view
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    try:
        order_confirm(
            membership=request.membership,
            distribution=distribution,
            quantities=carts.cart_get(request, distribution),
        )
    except Refusal as refused:
        messages.error(request, refused.message)
        return redirect("distributions:order_distribution", shop_slug=request.shop.slug, pk=pk)
    carts.cart_clear(request, distribution)
    messages.success(request, _("Votre commande est confirmée."))
    return redirect("distributions:my_orders", shop_slug=request.shop.slug)


@beneficiary_view
def my_orders(request: HttpRequest) -> HttpResponse:
    orders = list(member_orders(membership=request.membership))
    for item in orders:
        item.total = order_total(item)
        for line in item.lines.all():
            line.total = line_total(line.unit_price, line.effective_quantity)
        item.changeable = (
            item.status == OrderStatus.CONFIRMED
            and item.distribution.state == DistributionState.OPEN
        )
    return render(request, "distributions/my_orders.html", {"orders": orders})


def _own(request: HttpRequest, pk: int) -> Order:
    # Filtering on the membership: another beneficiary's order answers 404.
    return access_object(
        request.shop,
        Order.objects.filter(membership=request.membership).select_related("distribution"),
        pk=pk,
    )


@beneficiary_view
@require_POST
def my_order_change(request: HttpRequest, pk: int) -> HttpResponse:
    item = _own(request, pk)
    if item.distribution.state != DistributionState.OPEN:
        messages.error(request, _("Les commandes de cette distribution sont fermées."))
        return redirect("distributions:my_orders", shop_slug=request.shop.slug)
    carts.cart_load_order(request, item)
    return redirect(
        "distributions:order_distribution", shop_slug=request.shop.slug, pk=item.distribution_id
    )


@beneficiary_view
def my_order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
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
    item.total = order_total(item)
    return render(request, "distributions/my_order_cancel.html", {"order": item})
