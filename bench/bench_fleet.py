"""The operator's fleet page with 1,000 groceries on PostgreSQL: fleet_page_1000_ms.

Runs in its own process (its own Django settings) against a fresh database
``epiclic_bench_fleet`` (dropped and created). The fleet: 1,000 groceries, two thirds connected
(one in seven of those with a refused key), half with a stock sync state (one in five failing),
a sale record in one grocery in four, an applied import in one in three. The page (first page,
then the "en difficulté" filter on page 2) is asked 15 times each through Django's test client
as a signed-in staff user: the figure is the median server time of the first page in ms
(fleet_page_1000_trouble_ms for the filter), with the number of SQL queries of one request.

Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "fleet"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "epiclic_bench_fleet"
SHOPS = 1000
ROUNDS = 15


def run() -> dict[str, float | int]:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    WORK.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "epiclic.settings",
        "EPICLIC_VAR_DIR": str(WORK),
        "DATABASE_URL": f"{PG_URL}/{PG_DB}",
        "DATABASE_CONN_MAX_AGE": "60",
        "HUEY_IMMEDIATE": "true",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_fleet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        check=True,
    ).stdout
    return json.loads(out.decode().strip().splitlines()[-1])


def _seed() -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalog.models import Product
    from distributions.models import Distribution, Order, OrderStatus
    from escarcelle import crypto
    from escarcelle.models import Connection
    from escarcelle.sales.models import SaleOutbox, SaleStatus
    from escarcelle.stock.models import StockSyncState, SyncResult
    from imports.models import ImportKind, ImportPlan, ImportSource
    from shops.models import Membership, Role, Shop

    now = timezone.now()
    day = datetime.timedelta(days=1)
    shops = Shop.objects.bulk_create(
        [Shop(name=f"Épicerie {n:04d}", slug=f"epicerie-{n:04d}") for n in range(SHOPS)]
    )
    key = crypto.encrypt("esc_bench_key_0123456789")
    Connection.objects.bulk_create(
        [
            Connection(
                shop=shop,
                api_key_encrypted=key,
                key_last4="6789",
                account_id=f"acc-{shop.pk}",
                account_name=shop.name,
                key_rejected_at=now if n % 7 == 0 else None,
            )
            for n, shop in enumerate(shops)
            if n % 3
        ]
    )
    StockSyncState.objects.bulk_create(
        [
            StockSyncState(
                shop=shop,
                last_attempt_at=now,
                last_success_at=now,
                last_result=SyncResult.FAILED if n % 5 == 0 else SyncResult.OK,
                consecutive_failures=2 if n % 5 == 0 else 0,
            )
            for n, shop in enumerate(shops)
            if n % 2
        ]
    )
    ImportPlan.objects.bulk_create(
        [
            ImportPlan(
                shop=shop,
                source=ImportSource.ESCARCELLE,
                kind=ImportKind.PRODUCTS,
                status="applied",
                expires_at=now,
                applied_at=now,
            )
            for n, shop in enumerate(shops)
            if n % 3 == 0
        ]
    )
    user_model = get_user_model()
    sales = []
    for n, shop in enumerate(shops):
        if n % 4:
            continue
        user = user_model.objects.create_user(username=f"b{n}@example.org")
        member = Membership.objects.create(user=user, shop=shop, role=Role.BENEFICIARY)
        Product.objects.create(shop=shop, name="Riz", price="2.99", stock="10")
        distribution = Distribution.objects.create(
            shop=shop,
            orders_open_at=now - 3 * day,
            orders_close_at=now - 2 * day,
            starts_at=now - day,
            validated_at=now,
        )
        order = Order.objects.create(
            shop=shop,
            distribution=distribution,
            membership=member,
            status=OrderStatus.DELIVERED,
            participation_rate=100,
        )
        sales.append(
            SaleOutbox(
                shop=shop,
                distribution=distribution,
                order=order,
                idempotency_key=f"bench-{shop.pk}-{order.pk}",
                payload={},
                status=SaleStatus.FAILED if n % 8 == 0 else SaleStatus.PENDING,
            )
        )
    SaleOutbox.objects.bulk_create(sales)
    user_model.objects.create_user(username="ops@example.org", is_staff=True)


def _time(client, url: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), len(queries)


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    _seed()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="ops@example.org"))
    page_ms, queries = _time(client, "/operateur/")
    trouble_ms, _queries = _time(client, "/operateur/?difficulte=1&page=2")
    print(
        json.dumps(
            {
                "fleet_page_1000_ms": round(page_ms, 1),
                "fleet_page_1000_trouble_ms": round(trouble_ms, 1),
                "fleet_page_1000_queries": queries,
            }
        )
    )


if __name__ == "__main__":
    main()
