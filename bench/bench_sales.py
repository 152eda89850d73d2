"""Push a validated distribution of 500 orders × 8 lines to the emulator.

Runs the emulator as a subprocess (as the tests do) and Django on a fresh SQLite database
under var/bench/ (or the database an earlier bench of the same run already set up).
Figures: sales_push_500x8_s (delivery: from the queued task to every sale recorded by
Escarcelle), sales_push_500x8_requests (HTTP requests it took), and for information
sales_record_500x8_s (the validation with its outbox write, in one transaction).
"""

from __future__ import annotations

import os
import shutil
import time
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "sales"
ORDERS = 500
LINES = 8


class CountingTransport(httpx.HTTPTransport):
    requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        CountingTransport.requests += 1
        return super().handle_request(request)


def _setup_django() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    from django.conf import settings

    if not settings.configured:
        os.environ["DJANGO_SETTINGS_MODULE"] = "epiclic.settings"
        os.environ.setdefault("EPICLIC_VAR_DIR", str(WORK))
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'epiclic.sqlite3'}")
        os.environ.setdefault("HUEY_IMMEDIATE", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _distribution(shop, remote_products: list[dict]):
    """A closed distribution with ORDERS orders of LINES bound products, written in bulk."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalog.models import Product
    from distributions.models import Distribution, Order, OrderLine
    from shops.models import BeneficiaryProfile, Membership, Role

    now = timezone.now()
    products = Product.objects.bulk_create(
        [
            Product(
                shop=shop,
                name=p["name"],
                ref=f"B-{i}",
                price=Decimal(p["price"]),
                stock_source="escarcelle",
                escarcelle_id=p["id"],
            )
            for i, p in enumerate(remote_products)
        ]
    )
    distribution = Distribution.objects.create(
        shop=shop,
        starts_at=now + datetime.timedelta(days=1),
        orders_open_at=now - datetime.timedelta(days=3),
        orders_close_at=now - datetime.timedelta(hours=1),
    )
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(username=f"bench-{n}@example.org", email=f"bench-{n}@example.org")
            for n in range(ORDERS)
        ]
    )
    users = list(User.objects.filter(username__startswith="bench-").order_by("pk"))
    Membership.objects.bulk_create(
        [Membership(shop=shop, user=u, role=Role.BENEFICIARY) for u in users]
    )
    memberships = list(Membership.objects.filter(shop=shop).order_by("pk"))
    BeneficiaryProfile.objects.bulk_create(
        [
            BeneficiaryProfile(shop=shop, membership=m, participation_rate=Decimal("30"))
            for m in memberships
        ]
    )
    Order.objects.bulk_create(
        [
            Order(shop=shop, distribution=distribution, membership=m, participation_rate=30)
            for m in memberships
        ]
    )
    orders = list(Order.objects.filter(distribution=distribution).order_by("pk"))
    lines = []
    for n, order in enumerate(orders):
        for k in range(LINES):
            product = products[(n * LINES + k) % len(products)]
            lines.append(
                OrderLine(
                    order=order,
                    product=product,
                    quantity=Decimal(1 + k % 3),
                    shelf_price=product.price,
                    participation_rate=Decimal("30"),
                    unit_price=(product.price * Decimal("0.3")).quantize(Decimal("0.01")),
                )
            )
    OrderLine.objects.bulk_create(lines, batch_size=1000)
    return distribution


def run() -> dict[str, float | int]:
    _setup_django()
    from django.conf import settings

    from tests.fixtures_escarcelle import SimServer
    from tests.servers import free_port

    server = SimServer(db_path=WORK / "sim.sqlite3", port=free_port())
    server.start()
    try:
        account = server.create_account("Épicerie du banc d'essai (ventes)")
        account.seed(products=120, beneficiaries=0, seed=3)
        settings.ESCARCELLE_BASE_URL = server.base_url

        from distributions.services import distribution_validate
        from escarcelle.connection import client_for_shop, connection_save
        from escarcelle.sales import tasks
        from escarcelle.sales.models import SaleOutbox
        from escarcelle.sales.services import sales_deliver
        from shops.models import Shop
        from tests.factories import make_user

        shop = Shop.objects.create(name="Banc d'essai (ventes)", slug="banc-ventes")
        connection_save(shop=shop, user=None, api_key=account.api_key)
        distribution = _distribution(shop, account.products())
        queued: list[int] = []
        # Queued, not run: the delivery is timed below.
        tasks.sales_deliver_task = queued.append
        manager = make_user(email="gerant@banc-ventes.example")
        started = time.perf_counter()
        distribution_validate(distribution=distribution, user=manager)
        record_s = time.perf_counter() - started
        assert queued == [distribution.pk], queued

        def counting_client(shop, connection):
            return client_for_shop(shop, transport=CountingTransport())

        started = time.perf_counter()
        report = sales_deliver(distribution=distribution, client_factory=counting_client)
        push_s = time.perf_counter() - started
        sales = account.sales()
        sent = SaleOutbox.objects.filter(distribution=distribution, status="sent").count()
        assert report.sent == sent == len(sales) == ORDERS, (report, sent, len(sales))
        assert sum(len(s["lines"]) for s in sales) == ORDERS * LINES
        print(f"    ({len(sales)} sales, {ORDERS * LINES} lines recorded by the emulator)")
    finally:
        server.stop()
    return {
        "sales_push_500x8_s": round(push_s, 3),
        "sales_push_500x8_requests": CountingTransport.requests,
        "sales_record_500x8_s": round(record_s, 3),
    }
