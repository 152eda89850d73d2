"""The rush bench's scene and its in-process figures (run in a child process by bench_rush).

``python -m bench.rush_scene <var dir>`` with DATABASE_URL set: migrates, seeds one shop with
87 products (one of them scarce: 20 units), an open distribution and 200 beneficiaries, then
measures the hot pages' server time for one person (Django's test client: no network, no
queueing) and a password check's CPU time. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

PEOPLE = 200
PRODUCTS = 87
SCARCE_UNITS = 20
PASSWORD = "une-ruee-de-beneficiaires"
SLUG = "ruee"


def setup(var_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "epiclic.settings"
    os.environ["EPICLIC_VAR_DIR"] = str(var_dir)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed() -> dict[str, int]:
    import datetime

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from catalog.models import Catalogue, Product, StockSource
    from distributions.models import Distribution
    from shops.models import BeneficiaryProfile, Membership, Role, Shop

    shop = Shop.objects.create(name="Épicerie de la ruée", slug=SLUG, contact_email="c@ex.org")
    categories = ["Épicerie", "Frais", "Hygiène", "Boissons", "Conserves"]
    products = Product.objects.bulk_create(
        Product(
            shop=shop,
            name=f"Produit {n:02d}",
            ref=f"RUEE-{n:03d}",
            price=Decimal("1.50") + Decimal(n % 7),
            stock=Decimal(SCARCE_UNITS if n == 0 else 100000),
            unit="piece",
            category=categories[n % len(categories)],
            stock_source=StockSource.MANUAL,
        )
        for n in range(PRODUCTS)
    )
    catalogue = Catalogue.objects.create(shop=shop, name="Catalogue de la semaine")
    catalogue.products.set(products)
    now = timezone.now()
    distribution = Distribution.objects.create(
        shop=shop,
        orders_open_at=now - datetime.timedelta(hours=1),
        orders_close_at=now + datetime.timedelta(days=2),
        starts_at=now + datetime.timedelta(days=3),
        place="Salle des fêtes",
    )
    distribution.catalogues.set([catalogue])
    hashed = make_password(PASSWORD)  # one hash for all: seeding 200 costs one check
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"b{n}@ruee.example", email=f"b{n}@ruee.example", password=hashed)
        for n in range(PEOPLE)
    )
    memberships = Membership.objects.bulk_create(
        Membership(shop=shop, user=user, role=Role.BENEFICIARY) for user in users
    )
    BeneficiaryProfile.objects.bulk_create(
        BeneficiaryProfile(
            shop=shop,
            membership=membership,
            participation_rate=Decimal("30"),
            access_valid_until=timezone.localdate() + datetime.timedelta(days=365),
        )
        for membership in memberships
    )
    return {
        "distribution": distribution.pk,
        "scarce": products[0].pk,
        "products": [p.pk for p in products],  # type: ignore[dict-item]
    }


def _p50_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def hot_pages(scene: dict) -> dict[str, float]:
    """Server time for one person: ordering page, cart update, confirmation (p50 of 30)."""
    from django.test import Client
    from django.urls import reverse

    client = Client(SERVER_NAME="localhost")
    client.post(reverse("login"), {"username": "b199@ruee.example", "password": PASSWORD})
    pk = scene["distribution"]
    page = reverse("distributions:order_distribution", kwargs={"shop_slug": SLUG, "pk": pk})
    cart = reverse("distributions:cart", kwargs={"shop_slug": SLUG, "pk": pk})
    confirm = reverse("distributions:confirm", kwargs={"shop_slug": SLUG, "pk": pk})
    product = scene["products"][5]
    timings: dict[str, list[float]] = {"page": [], "cart": [], "confirm": [], "page_cpu": []}
    client.get(page)  # warm-up (templates compiled, caches filled)
    for n in range(30):
        started, cpu = time.perf_counter(), time.thread_time()
        response = client.get(page)
        timings["page"].append(time.perf_counter() - started)
        timings["page_cpu"].append(time.thread_time() - cpu)
        assert response.status_code == 200, response.status_code
        started = time.perf_counter()
        response = client.post(
            cart, {"product": product, "quantity": str(1 + n % 3)}, HTTP_HX_REQUEST="true"
        )
        timings["cart"].append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        started = time.perf_counter()
        response = client.post(confirm)
        timings["confirm"].append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
    return {
        "order_page_server_ms_p50": _p50_ms(timings["page"]),
        # CPU time of the same requests: what the page costs whatever the machine's load.
        "order_page_server_cpu_ms_p50": _p50_ms(timings["page_cpu"]),
        "cart_update_server_ms_p50": _p50_ms(timings["cart"]),
        "confirm_server_ms_p50": _p50_ms(timings["confirm"]),
    }


def login_cpu_ms() -> float:
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password(PASSWORD)
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(10):
        check_password(PASSWORD, encoded)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return round(cpu / 10 * 1000, 1)


def sold(product_id: int) -> str:
    """Units of ``product_id`` in confirmed orders (the oversell check)."""
    from django.db.models import Sum

    from distributions.models import OrderLine, OrderStatus

    total = OrderLine.objects.filter(
        product_id=product_id, order__status=OrderStatus.CONFIRMED
    ).aggregate(total=Sum("quantity"))["total"]
    return str(total or 0)


def main(argv: list[str]) -> int:
    var_dir = Path(argv[0])
    setup(var_dir)
    if argv[1] == "sold":
        print(json.dumps({"sold": sold(int(argv[2]))}))
        return 0
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    scene = seed()
    figures: dict = {"scene": scene}
    if "--hot" in argv:
        figures.update(hot_pages(scene))
        figures["login_cpu_ms"] = login_cpu_ms()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
