"""The cart: kept in the session, one per distribution, as {product id: quantity}."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest

from distributions.models import Distribution, Order


def _key(distribution: Distribution | int) -> str:
    pk = distribution if isinstance(distribution, int) else distribution.pk
    return f"cart:{pk}"


def cart_exists(request: HttpRequest, distribution: Distribution) -> bool:
    return _key(distribution) in request.session


def cart_get(request: HttpRequest, distribution: Distribution) -> dict[int, Decimal]:
    raw = request.session.get(_key(distribution), {})
    return {int(pk): Decimal(qty) for pk, qty in raw.items()}


def cart_save(request: HttpRequest, distribution: Distribution, cart: dict[int, Decimal]) -> None:
    request.session[_key(distribution)] = {str(pk): str(qty) for pk, qty in cart.items()}


def cart_with(cart: dict[int, Decimal], product_id: int, quantity: Decimal) -> dict[int, Decimal]:
    """A copy of ``cart`` with ``product_id`` set to ``quantity`` (removed when 0)."""
    changed = dict(cart)
    if quantity > 0:
        changed[product_id] = quantity
    else:
        changed.pop(product_id, None)
    return changed


def cart_load_order(request: HttpRequest, order: Order) -> None:
    """Put an existing order back in the cart, to change it."""
    lines = {str(line.product_id): str(line.quantity) for line in order.lines.all()}
    request.session[_key(order.distribution_id)] = lines


def cart_clear(request: HttpRequest, distribution: Distribution) -> None:
    request.session.pop(_key(distribution), None)
