"""The product list of the ordering page, cheap enough for the opening of orders.

What every member paying the same rate sees (names, photos, shelf and solidarity prices,
categories) is rendered once per distribution, rate and language, and cached. The cache key
holds the id and ``updated_at`` of every product offered: a price change, a new photo, a
product archived, added to or removed from a catalogue of the distribution, or a catalogue
going out of its period changes the key, so a stale list is never served (the old entry just
expires). What is each member's own — what they can still order (stock moves with every
order, so it is never cached), the quantity in their cart —
is filled in at each request by ``MemberCells``.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.models import Product
from distributions.models import Distribution
from distributions.pricing import solidarity_price
from distributions.selectors import orderable_products
from epiclic.collation import collation_key, folded
from shops.models import Shop

log = logging.getLogger("distributions.offer")

CACHE_SECONDS = 6 * 3600
# The product's id and its name (already escaped by the template) for the quantity's label.
_MEMBER_CELLS = re.compile(r"<!--member-cells:(\d+):(.*?)-->")


@dataclass
class OfferRow:
    product: Product
    price: Decimal  # what this rate pays


def offer_versions(*, distribution: Distribution) -> list[tuple[int, datetime.datetime]]:
    """(id, updated_at) of the products offered, in page order: one light query."""
    return list(orderable_products(distribution=distribution).values_list("pk", "updated_at"))


@dataclass
class OfferRead:
    versions: list[tuple[int, datetime.datetime]]  # as ``offer_versions``
    stocks: list[tuple[int, str, Decimal]]  # (id, stock source, stock): ``stock_figures_from``


def offer_read(*, distribution: Distribution) -> OfferRead:
    """``offer_versions`` and, in the same light query, what the products' figures start from
    (the ordering page: one query less than reading them apart)."""
    rows = orderable_products(distribution=distribution).values_list(
        "pk", "updated_at", "stock_source", "stock"
    )
    read = OfferRead(versions=[], stocks=[])
    for pk, updated_at, source, stock in rows:
        read.versions.append((pk, updated_at))
        read.stocks.append((pk, source, stock))
    return read


def offer_sorted(products: Iterable[Product]) -> list[Product]:
    """The page's order: categories, then names within each, in French order (``Céréales``
    before ``Crème``, ``Œufs`` among the O), the same on SQLite and PostgreSQL; the products
    without a category ("Autres produits") last."""
    return sorted(
        products,
        key=lambda p: (not p.category, collation_key(p.category), collation_key(p.name), p.pk),
    )


def _key(distribution: Distribution, shop: Shop, rate: Decimal, versions: list) -> str:
    digest = hashlib.sha256(repr(versions).encode()).hexdigest()[:32]
    # "offer2": lists cached before the French order are not served.
    return f"offer2:{distribution.pk}:{shop.slug}:{rate.normalize()}:{get_language()}:{digest}"


def offer_segments(
    *,
    distribution: Distribution,
    shop: Shop,
    rate: Decimal,
    versions: list,
    product_ids: list[int] | None = None,
) -> list[str]:
    """The shared part of the list, split around each product's member cells; only
    ``product_ids`` when given (a search: ``versions`` then holds only theirs too)."""
    key = _key(distribution, shop, rate, versions)
    try:
        segments: list[str] | None = cache.get(key)
    except Exception:  # the cache is Redis and Redis is down: render, never fail the page
        log.warning("offer cache unreachable: the product list is rendered for this request")
        segments = None
    if segments is None:
        products = orderable_products(distribution=distribution, product_ids=product_ids)
        rows = [
            OfferRow(product=p, price=solidarity_price(p.price, rate))
            for p in offer_sorted(products)
        ]
        html = render_to_string("distributions/_offer.html", {"rows": rows, "shop": shop})
        segments = _MEMBER_CELLS.split(html)
        try:
            cache.set(key, segments, CACHE_SECONDS)
        except Exception:
            log.warning("offer cache unreachable: the product list is not kept")
    return segments


def offer_search(*, distribution: Distribution, query: str) -> list[int]:
    """The ids of the products offered whose name holds every word of ``query`` (the ordering
    page's search without JavaScript; static/epiclic.js filters the same way in the page)."""
    words = folded(query).split()
    names = orderable_products(distribution=distribution).values_list("pk", "name")
    return [pk for pk, name in names if all(word in folded(name) for word in words)]


def offer_html(segments: list[str], cells: Callable[[int, SafeString], str]) -> SafeString:
    """Join the cached segments, each product's marker replaced by ``cells(id, name)``."""
    parts: list[str] = []
    for i in range(0, len(segments), 3):
        parts.append(segments[i])
        if i + 2 < len(segments):
            # The name was escaped when the template rendered it.
            name = mark_safe(segments[i + 2])  # noqa: S308
            parts.append(cells(int(segments[i + 1]), name))
    return mark_safe("".join(parts))  # noqa: S308 - rendered templates and format_html only


class MemberCells:
    """The two cells of a row that are the member's own: available, and quantity + button.

    Built once per page (translations escaped once); each row then only
    formats two numbers, which is what keeps 87 rows cheap. The cells carry ids
    (``avail-<id>``, ``qty-<id>``) so that the page's poll can replace them out of band
    (``oob``) when what the member can order changes.
    """

    def __init__(self) -> None:
        self.label = escape(_("Disponible :"))
        self.sold_out = f'<span class="flag">{escape(_("épuisé"))}</span>'
        # "Quantité de Lentilles vertes", "Ajouter Lentilles vertes": each row's field and
        # button say which product they are for (a screen reader lists them out of the row).
        self.quantity_label = escape(_("Quantité de"))
        self.add = escape(_("Ajouter"))
        self.change = escape(_("Modifier"))
        self._numbers: dict[Decimal, str] = {}

    def number(self, value: Decimal) -> str:
        """``value`` as the page shows it, escaped; formatted once per value and page (most
        rows show one of a few figures: 1 in the field, whole units available)."""
        text = self._numbers.get(value)
        if text is None:
            text = self._numbers[value] = escape(formats.localize(value.normalize()))
        return text

    def __call__(
        self,
        *,
        product_id: int,
        name: SafeString,
        available: Decimal,
        in_cart: Decimal | None,
        oob: bool = False,
        error: str = "",
    ) -> str:
        """``error``: the cart refused this row's quantity; the field is marked invalid and
        points to the message, and shows again what the cart holds."""
        swap = ' hx-swap-oob="true"' if oob else ""
        head = f'<td class="num avail" id="avail-{product_id}"{swap} data-label="{self.label}">'
        qty = f'</td><td class="qty" id="qty-{product_id}"{swap}>'
        if not available:
            return f"{head}{self.sold_out}{qty}</td>"
        quantity = self.number(in_cart) if in_cart else "1"
        # No form per row: the page's one form around the list (one CSRF token) is sent by
        # the row's button, named by the product (``product=<id>``, ``quantity-<id>``).
        invalid = message = ""
        if error:
            invalid = f' aria-invalid="true" aria-describedby="quantity-{product_id}-error"'
            message = (
                f'<small class="error" id="quantity-{product_id}-error">{escape(error)}</small>'
            )
        return (
            f"{head}{self.number(available)}{qty}"
            f'<input name="quantity-{product_id}" id="quantity-{product_id}" inputmode="decimal"'
            f' value="{quantity}" aria-label="{self.quantity_label} {name}"{invalid}>'
            f'<button type="submit" name="product" value="{product_id}" id="add-{product_id}">'
            f'{self.change if in_cart else self.add}<span class="visually-hidden"> {name}</span>'
            f"</button>{message}</td>"
        )
