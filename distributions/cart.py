"""The cart: one per distribution, as {product id: quantity}, kept in a signed cookie.

Not in the session: a cart change then writes nothing to the database (on the embedded
SQLite, every session save took the one write lock, and a rush of clicks queued behind it).
The cookie is signed with a salt that names the user, so it cannot be forged, and a cart left
in a shared browser is ignored for the next person. ``CartCookieMiddleware`` writes the
changed carts on the response. The confirmation checks everything again (``order_check``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from distributions.models import Distribution, Order

# Kept for the time of a distribution's ordering period (a cart left for a week is still there).
MAX_AGE = 14 * 24 * 3600
_PENDING = "_epiclic_carts"  # request attribute: {cookie name: new value, or None to delete}


def _name(distribution: Distribution | int) -> str:
    pk = distribution if isinstance(distribution, int) else distribution.pk
    return f"panier-{pk}"


def _salt(request: HttpRequest) -> str:
    return f"epiclic.cart.{getattr(request.user, 'pk', '')}"


def _pending(request: HttpRequest) -> dict[str, str | None]:
    pending: dict[str, str | None] | None = getattr(request, _PENDING, None)
    if pending is None:
        pending = {}
        setattr(request, _PENDING, pending)
    return pending


def _encode(cart: dict[int, Decimal]) -> str:
    return "|".join(f"{pk}:{qty}" for pk, qty in cart.items())


def _decode(value: str) -> dict[int, Decimal]:
    cart: dict[int, Decimal] = {}
    for item in filter(None, value.split("|")):
        pk, _sep, qty = item.partition(":")
        try:
            cart[int(pk)] = Decimal(qty)
        except (ValueError, InvalidOperation):
            return {}  # signed, so only an older format: start afresh
    return cart


def _raw(request: HttpRequest, distribution: Distribution | int) -> str | None:
    name = _name(distribution)
    pending = _pending(request)
    if name in pending:
        return pending[name]
    value: str | None = request.get_signed_cookie(name, default=None, salt=_salt(request))
    return value


def cart_exists(request: HttpRequest, distribution: Distribution) -> bool:
    return _raw(request, distribution) is not None


def cart_get(request: HttpRequest, distribution: Distribution) -> dict[int, Decimal]:
    return _decode(_raw(request, distribution) or "")


def cart_save(request: HttpRequest, distribution: Distribution, cart: dict[int, Decimal]) -> None:
    _pending(request)[_name(distribution)] = _encode(cart)


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
    lines = {line.product_id: line.quantity for line in order.lines.all()}
    _pending(request)[_name(order.distribution_id)] = _encode(lines)


def cart_clear(request: HttpRequest, distribution: Distribution) -> None:
    _pending(request)[_name(distribution)] = None


class CartCookieMiddleware:
    """Writes the carts changed during the request as signed cookies on its response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in getattr(request, _PENDING, {}).items():
            if value is None:
                response.delete_cookie(name, samesite="Lax")
            else:
                response.set_signed_cookie(
                    name,
                    value,
                    salt=_salt(request),
                    max_age=MAX_AGE,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        return response
