"""A year of a large grocery: 50 validated distributions × 200 orders × 8 lines (80,000 lines).

Django on a fresh SQLite database under var/bench/reports/. Figures:
- report_year_80k_lines_ms: the yearly *Rapports* page with its charts (median of 3 requests
  after a first one), through Django's test client;
- export_year_80k_lines_xlsx_s: the yearly report downloaded as XLSX (every table);
- prep_pdf_200_orders_s: the bag sheets PDF of one distribution of 200 orders (200 pages), laid
  out in parts on every core (``epiclic.pdf``);
- for information: report_year_queries, the SQL queries of the yearly page, and
  report_year_cpu_ms, its CPU time (median), which other programs on the machine change less
  than its wall time; pdf_processes, the parts laid out at once.
"""

from __future__ import annotations

import datetime
import os
import shutil
import statistics
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "reports"
DISTRIBUTIONS = 50
ORDERS = 200
LINES = 8
YEAR = 2025


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


def _year_of_orders():
    """The shop, its manager and its distributions, written in bulk (validated, delivered)."""
    from zoneinfo import ZoneInfo

    from django.contrib.auth import get_user_model

    from catalog.models import Product
    from distributions.models import Distribution, Order, OrderLine, OrderStatus
    from distributions.pricing import solidarity_price
    from shops.models import BeneficiaryProfile, Membership, Role, Shop

    shop = Shop.objects.create(name="Banc d'essai (rapports)", slug="banc-rapports")
    User = get_user_model()
    manager = User.objects.create_user(
        username="gestion@banc.example", email="gestion@banc.example"
    )
    Membership.objects.create(shop=shop, user=manager, role=Role.MANAGER)
    products = Product.objects.bulk_create(
        [
            Product(
                shop=shop,
                name=f"Produit {n}",
                ref=f"R-{n}",
                price=Decimal("0.99") + Decimal(n % 40) / 10,
                category=f"Rayon {n % 12}",
                unit="kg" if n % 7 == 0 else "piece",
            )
            for n in range(300)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(username=f"foyer-{n}@banc.example", email=f"foyer-{n}@banc.example")
            for n in range(ORDERS)
        ]
    )
    memberships = Membership.objects.bulk_create(
        [Membership(shop=shop, user=u, role=Role.BENEFICIARY) for u in users]
    )
    rates = [Decimal("10"), Decimal("20"), Decimal("30"), Decimal("50")]
    BeneficiaryProfile.objects.bulk_create(
        [
            BeneficiaryProfile(
                shop=shop,
                membership=m,
                participation_rate=rates[n % 4],
                monthly_budget=Decimal("60"),
            )
            for n, m in enumerate(memberships)
        ]
    )
    paris = ZoneInfo("Europe/Paris")
    first = datetime.datetime(YEAR, 1, 3, 10, tzinfo=paris)
    distributions = Distribution.objects.bulk_create(
        [
            Distribution(
                shop=shop,
                starts_at=first + datetime.timedelta(days=7 * n),
                orders_open_at=first + datetime.timedelta(days=7 * n - 5),
                orders_close_at=first + datetime.timedelta(days=7 * n - 1),
                validated_at=first + datetime.timedelta(days=7 * n, hours=4),
            )
            for n in range(DISTRIBUTIONS)
        ]
    )
    for d_index, distribution in enumerate(distributions):
        orders = Order.objects.bulk_create(
            [
                Order(
                    shop=shop,
                    distribution=distribution,
                    membership=m,
                    status=OrderStatus.DELIVERED,
                    participation_rate=rates[n % 4],
                )
                for n, m in enumerate(memberships)
            ]
        )
        lines = []
        for n, order in enumerate(orders):
            for k in range(LINES):
                product = products[(d_index * 31 + n * LINES + k) % len(products)]
                quantity = Decimal(1 + k % 3)
                lines.append(
                    OrderLine(
                        order=order,
                        product=product,
                        quantity=quantity,
                        delivered_quantity=Decimal(0) if (n + k) % 97 == 0 else quantity,
                        shelf_price=product.price,
                        participation_rate=order.participation_rate,
                        unit_price=solidarity_price(product.price, order.participation_rate),
                    )
                )
        OrderLine.objects.bulk_create(lines, batch_size=2000)
    return shop, manager, distributions


def run() -> dict[str, float | int]:
    _setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from distributions.models import OrderLine
    from epiclic.pdf import processes

    started = time.perf_counter()
    shop, manager, distributions = _year_of_orders()
    count = OrderLine.objects.filter(order__shop=shop).count()
    assert count == DISTRIBUTIONS * ORDERS * LINES, count
    print(f"    ({count} lines written in {time.perf_counter() - started:.1f} s)")

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(manager)
    page = reverse("reports:index", kwargs={"shop_slug": shop.slug})
    year = {"annee": str(YEAR)}

    cpu: list[float] = []

    def timed(url: str, query: dict[str, str] | None = None) -> tuple[float, bytes]:
        begun, cpu_begun = time.perf_counter(), time.process_time()
        response = client.get(url, query or {})
        assert response.status_code == 200, response.status_code
        cpu.append(time.process_time() - cpu_begun)
        return time.perf_counter() - begun, response.content

    timed(page, year)  # warm-up: templates, translations
    queries: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def,unused-ignore]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        _elapsed, content = timed(page, year)
    assert b"<svg" in content
    cpu.clear()
    page_ms = statistics.median(timed(page, year)[0] for _ in range(3)) * 1000
    page_cpu_ms = statistics.median(cpu) * 1000

    export = reverse("reports:export", kwargs={"shop_slug": shop.slug, "fmt": "xlsx"})
    xlsx_s, content = timed(export, year)
    assert content.startswith(b"PK")

    pdf = reverse(
        "distributions:document_pdf",
        kwargs={"shop_slug": shop.slug, "pk": distributions[-1].pk, "kind": "sacs"},
    )
    pdf_s, content = timed(pdf)
    assert content.startswith(b"%PDF")
    return {
        "report_year_80k_lines_ms": round(page_ms, 1),
        "report_year_queries": len(queries),
        "report_year_cpu_ms": round(page_cpu_ms, 1),
        "export_year_80k_lines_xlsx_s": round(xlsx_s, 3),
        "prep_pdf_200_orders_s": round(pdf_s, 3),
        "pdf_processes": processes(),
    }
