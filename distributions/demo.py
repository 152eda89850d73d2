"""Demo data: an open distribution, a past closed one, and orders of the demo beneficiaries."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from catalog.models import Catalogue
from distributions.availability import available_quantities
from distributions.models import Distribution
from distributions.selectors import orderable_products
from distributions.services import order_confirm
from epiclic.errors import Refusal
from shops.models import Membership, Shop

DEMO_BENEFICIARIES = ["camille@demo.epiclic.fr", "yanis@demo.epiclic.fr"]


def _at(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _place_orders(shop: Shop, distribution: Distribution, offset: int) -> None:
    products = list(orderable_products(distribution=distribution)[:12])
    available = available_quantities(shop=shop, product_ids=[p.pk for p in products])
    memberships = Membership.objects.filter(shop=shop, user__username__in=DEMO_BENEFICIARIES)
    for n, membership in enumerate(memberships.order_by("user__username")):
        chosen = products[offset + n :: 4][:3]
        quantities = {
            p.pk: Decimal("0.5") if p.unit == "kg" else Decimal("1")
            for p in chosen
            if available.get(p.pk, Decimal("0")) >= 2
        }
        if not quantities:
            continue
        try:
            order_confirm(membership=membership, distribution=distribution, quantities=quantities)
        except Refusal:
            continue  # demo data stays best effort (a small budget, little stock)


def seed(shop: Shop) -> None:
    catalogues = list(Catalogue.objects.filter(shop=shop))
    if not catalogues:
        return
    # The past distribution is created open, ordered through the real path, then closed.
    past = Distribution.objects.create(
        shop=shop,
        starts_at=_at(0, 18),
        orders_open_at=timezone.now() - datetime.timedelta(hours=1),
        orders_close_at=timezone.now() + datetime.timedelta(hours=1),
        place="Local de l'association, 12 rue des Tilleuls",
    )
    past.catalogues.set(catalogues)
    _place_orders(shop, past, offset=0)
    Distribution.objects.filter(pk=past.pk).update(
        orders_open_at=_at(-9, 9), orders_close_at=_at(-3, 18), starts_at=_at(-2, 14)
    )
    current = Distribution.objects.create(
        shop=shop,
        starts_at=_at(4, 14),
        ends_at=_at(4, 17),
        orders_open_at=timezone.now() - datetime.timedelta(days=1),
        orders_close_at=_at(3, 18),
        place="Local de l'association, 12 rue des Tilleuls",
    )
    current.catalogues.set(catalogues)
    _place_orders(shop, current, offset=2)
