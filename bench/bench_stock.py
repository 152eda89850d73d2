"""Stock sync: one shop of 10,000 products, then a fleet of shops on PostgreSQL and Redis.

Each part runs in its own Python process (its own Django settings), with the emulator as a
subprocess on a loopback port, exactly as in production: the sync service talks HTTP to it.

- single (SQLite under var/bench/stock/): stock_sync_10k_full_s (the first full read, every
  level written), stock_sync_10k_incremental_s (median of 5 incremental syncs, 1 % of the
  products changed each time; _max_s the worst), stock_sync_10k_daily_full_s (the daily
  full read, levels already there, 1 % changed).
- fleet (PostgreSQL + Redis, huey consumers as separate processes): 1,000 shops × 2,000
  products; one round = the minute tick hands every due shop to the queue, the consumers sync
  them; timed from the tick until every shop has a recorded attempt. The first round (full
  reads) builds the levels; then rounds with 2 % of the products changed in every shop are
  timed for 250, 500 and 1,000 due shops: fleet_<n>x2000_round_s.

Environment: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432, a database
``epiclic_bench_stock`` is dropped and created), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/7, flushed), BENCH_WORKERS (consumer processes, default 4),
BENCH_SHOPS (default 1000).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "stock"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "epiclic_bench_stock"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SHOPS = int(os.environ.get("BENCH_SHOPS", "1000"))
PRODUCTS_PER_SHOP = 2000
OLD = "2026-01-01T00:00:00.000000+00:00"


def log(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


def run() -> dict[str, float | int]:
    results: dict[str, float | int] = {}
    for part in ("single", "fleet"):
        results.update(_part_in_subprocess(part))
    return results


def _part_in_subprocess(part: str) -> dict[str, float | int]:
    directory = WORK / part
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "epiclic.settings"}
    env["EPICLIC_VAR_DIR"] = str(directory)
    env["LOG_LEVEL"] = "WARNING"
    if part == "single":
        env["DATABASE_URL"] = f"sqlite:///{directory / 'epiclic.sqlite3'}"
        env["HUEY_IMMEDIATE"] = "true"
        env.pop("REDIS_URL", None)
    else:
        env["DATABASE_URL"] = f"{PG_URL}/{PG_DB}"
        env["REDIS_URL"] = REDIS_URL
        env["HUEY_NAME"] = "epiclic-bench-stock"
        env["HUEY_IMMEDIATE"] = "false"
        env["DATABASE_CONN_MAX_AGE"] = "60"  # workers keep their connection between tasks
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_stock", part],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        check=True,
    ).stdout
    return json.loads(out.decode().strip().splitlines()[-1])


# --- Helpers run inside the part's process ----------------------------------------------------


def _django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _sim_products(sim_db: Path, account: int) -> list[int]:
    with sqlite3.connect(sim_db) as conn:
        rows = conn.execute(
            "SELECT id FROM products WHERE account_id = ? ORDER BY id", (account,)
        ).fetchall()
    return [r[0] for r in rows]


def _backdate_catalogue(sim_db: Path) -> None:
    """The catalogue was entered long ago: the archived-products check finds nothing new."""
    with sqlite3.connect(sim_db) as conn:
        conn.execute("UPDATE products SET updated_at = ?", (OLD,))


def _in_shop_sales(db, moves_by_account: dict[int, list[int]]) -> None:
    """In-shop sales written straight into the emulator's ledger (as its CLI does)."""
    from escarcelle_sim.catalog import ledger_move

    with db.write() as conn:
        for account, products in moves_by_account.items():
            ledger_move(
                conn,
                account=account,
                moves=[(p, -1000) for p in products],
                reason="in_shop_sale",
            )


def single() -> dict[str, float]:
    _django()
    from django.conf import settings

    from catalog.models import Product
    from escarcelle.connection import connection_save
    from escarcelle.stock.models import StockLevel
    from escarcelle.stock.services import stock_sync_shop
    from escarcelle_sim.db import Database, internal_id
    from shops.models import Shop
    from tests.fixtures_escarcelle import SimServer
    from tests.servers import free_port

    directory = WORK / "single"
    sim_db = directory / "sim.sqlite3"
    server = SimServer(db_path=sim_db, port=free_port())
    server.start()
    try:
        account = server.create_account("Épicerie du banc d'essai (stocks)")
        account.seed(products=10_000, beneficiaries=0, seed=11)
        _backdate_catalogue(sim_db)
        account_pk = internal_id("account", account.account_id)
        assert account_pk is not None
        remote = _sim_products(sim_db, account_pk)
        settings.ESCARCELLE_BASE_URL = server.base_url
        shop = Shop.objects.create(name="Banc d'essai (stocks)", slug="banc-stocks")
        connection_save(shop=shop, user=None, api_key=account.api_key)
        Product.objects.bulk_create(
            [
                Product(
                    shop=shop,
                    name=f"Produit {pid}",
                    price=1,
                    stock_source="escarcelle",
                    escarcelle_id=f"prd_{pid}",
                )
                for pid in remote
            ],
            batch_size=2000,
        )
        started = time.perf_counter()
        run = stock_sync_shop(shop=shop)
        full_s = time.perf_counter() - started
        assert run is not None
        assert run.result == "ok" and run.kind == "full", run.error_message
        assert run.products_changed == StockLevel.objects.filter(shop=shop).count() == 10_000

        db = Database(str(sim_db))
        rng = random.Random(5)
        incremental = []
        for _round in range(5):
            _in_shop_sales(db, {account_pk: rng.sample(remote, 100)})
            started = time.perf_counter()
            run = stock_sync_shop(shop=shop)
            incremental.append(time.perf_counter() - started)
            assert run is not None
            assert run.result == "ok" and run.kind == "incremental", run.error_message
            assert run.products_changed == 100, run.products_changed
        _in_shop_sales(db, {account_pk: rng.sample(remote, 100)})
        started = time.perf_counter()
        run = stock_sync_shop(shop=shop, force_full=True)
        daily_full_s = time.perf_counter() - started
        assert run is not None
        assert run.result == "ok" and run.products_changed == 100, run.products_changed
        levels = dict(StockLevel.objects.values_list("product__escarcelle_id", "quantity"))
        assert levels == account.stock(), "levels differ from the emulator"
    finally:
        server.stop()
    return {
        "stock_sync_10k_full_s": round(full_s, 3),
        "stock_sync_10k_incremental_s": round(statistics.median(incremental), 3),
        "stock_sync_10k_incremental_max_s": round(max(incremental), 3),
        "stock_sync_10k_daily_full_s": round(daily_full_s, 3),
    }


# --- The fleet ----------------------------------------------------------------------------------


def _recreate_pg_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def _seed_emulator(sim_db: Path) -> tuple[list[tuple[int, str, int]], dict[int, list[int]]]:
    """SHOPS accounts of PRODUCTS_PER_SHOP products: [(account, key, first product id)]."""
    from escarcelle_sim.accounts import account_create
    from escarcelle_sim.db import Database, internal_id
    from escarcelle_sim.seed import seed_account

    db = Database(str(sim_db))
    accounts = []
    for n in range(SHOPS):
        pid, key = account_create(db, name=f"Épicerie {n}")
        account = internal_id("account", pid) or 0
        seed_account(db, account=account, products=PRODUCTS_PER_SHOP, beneficiaries=0, seed=n)
        accounts.append((account, key))
    _backdate_catalogue(sim_db)
    with sqlite3.connect(sim_db) as conn:
        rows = conn.execute("SELECT account_id, id FROM products ORDER BY id").fetchall()
    products: dict[int, list[int]] = {}
    for account, product in rows:
        products.setdefault(account, []).append(product)
    return [(a, k, products[a][0]) for a, k in accounts], products


def _epiclic_fleet(accounts: list[tuple[int, str, int]]) -> list[int]:
    """Shops, their connections and bound products, written in bulk (SQL for the products)."""
    from django.db import connection

    from catalog.models import Product
    from escarcelle import crypto
    from escarcelle.models import Connection
    from shops.models import Shop

    shops = Shop.objects.bulk_create(
        [Shop(name=f"Épicerie {n}", slug=f"epicerie-{n}") for n in range(len(accounts))]
    )
    Connection.objects.bulk_create(
        [
            Connection(
                shop=shop,
                api_key_encrypted=crypto.encrypt(key),
                key_last4=key[-4:],
                account_id=f"acc_{account}",
                account_name=shop.name,
            )
            for shop, (account, key, _first) in zip(shops, accounts, strict=True)
        ]
    )
    overrides = {
        "shop": "m.shop_id",
        "name": "'Produit ' || g",
        "escarcelle_id": "'prd_' || (m.first_id + g)",
        "stock_source": "'escarcelle'",
        "price": "1.00",
        "created_at": "now()",
        "updated_at": "now()",
    }
    columns, expressions, params = [], [], []
    for field in Product._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in overrides:
            expressions.append(overrides[field.name])
        else:
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_map (shop_id bigint, first_id bigint)")
        cursor.executemany(
            "INSERT INTO bench_map VALUES (%s, %s)",
            [(shop.pk, first) for shop, (_a, _k, first) in zip(shops, accounts, strict=True)],
        )
        cursor.execute(
            f"INSERT INTO {Product._meta.db_table} ({', '.join(columns)})"  # noqa: S608
            f" SELECT {', '.join(expressions)} FROM bench_map m"
            f" CROSS JOIN generate_series(0, {PRODUCTS_PER_SHOP - 1}) g",
            params,
        )
        cursor.execute("DROP TABLE bench_map")
        cursor.execute("ANALYZE")
    return [shop.pk for shop in shops]


def _consumers(count: int) -> list[subprocess.Popen]:
    log_file = (WORK / "fleet" / "huey.log").open("ab")
    return [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "-w", "2", "-k", "thread", "-n"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]


def _round(shop_ids: list[int], timeout: float = 900.0) -> float:
    """Make ``shop_ids`` due, tick once, wait until each has a new attempt; the wall time."""
    import datetime

    from django.utils import timezone

    from escarcelle.stock.models import StockSyncState
    from escarcelle.stock.tasks import stock_sync_tick_run

    now = timezone.now()
    StockSyncState.objects.update(next_run_at=now + datetime.timedelta(days=1))
    StockSyncState.objects.filter(shop_id__in=shop_ids).update(
        next_run_at=now - datetime.timedelta(seconds=1)
    )
    time.sleep(0.01)
    t0 = timezone.now()
    started = time.perf_counter()
    queued = stock_sync_tick_run()
    assert len(queued) == len(shop_ids), (len(queued), len(shop_ids))
    deadline = started + timeout
    while time.perf_counter() < deadline:
        done = StockSyncState.objects.filter(shop_id__in=shop_ids, last_attempt_at__gte=t0)
        if done.count() == len(shop_ids):
            return time.perf_counter() - started
        time.sleep(0.1)
    raise RuntimeError("the round did not finish in time")


def fleet() -> dict[str, float | int]:
    _recreate_pg_database()
    _django()
    from django.conf import settings
    from django.db.models import Count, Sum
    from huey.contrib.djhuey import HUEY

    from escarcelle.stock.models import StockLevel, StockSyncRun, StockSyncState
    from escarcelle_sim.db import Database
    from tests.fixtures_escarcelle import SimServer
    from tests.servers import free_port

    HUEY.flush()
    directory = WORK / "fleet"
    sim_db = directory / "sim.sqlite3"
    started = time.perf_counter()
    accounts, products = _seed_emulator(sim_db)
    log(
        f"emulator: {SHOPS} accounts × {PRODUCTS_PER_SHOP} products in "
        f"{time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    shop_ids = _epiclic_fleet(accounts)
    log(f"epiclic: shops, connections, products in {time.perf_counter() - started:.1f} s")
    account_of = {shop: account for shop, (account, _k, _f) in zip(shop_ids, accounts, strict=True)}

    server = SimServer(db_path=sim_db, port=free_port())
    server.start()
    # The consumers read the base URL from the environment.
    os.environ["ESCARCELLE_BASE_URL"] = settings.ESCARCELLE_BASE_URL = server.base_url
    consumers = _consumers(WORKERS)
    results: dict[str, float | int] = {"fleet_workers": WORKERS}
    try:
        StockSyncState.objects.bulk_create([StockSyncState(shop_id=pk) for pk in shop_ids])
        first = _round(shop_ids)
        results[f"fleet_{SHOPS}x{PRODUCTS_PER_SHOP}_first_full_round_s"] = round(first, 2)
        log(f"first round (full reads): {first:.1f} s")
        assert StockLevel.objects.count() == SHOPS * PRODUCTS_PER_SHOP
        db = Database(str(sim_db))
        rng = random.Random(3)
        changed = PRODUCTS_PER_SHOP * 2 // 100
        sizes = sorted({n for n in (SHOPS // 4, SHOPS // 2, SHOPS) if n})
        for size in sizes:
            subset = shop_ids[:size]
            _in_shop_sales(
                db, {account_of[s]: rng.sample(products[account_of[s]], changed) for s in subset}
            )
            since = StockSyncRun.objects.count()
            wall = _round(subset)
            runs = StockSyncRun.objects.order_by("id")[since:]
            summary = StockSyncRun.objects.filter(pk__in=[r.pk for r in runs]).aggregate(
                n=Count("id"), changed=Sum("products_changed")
            )
            failed = sum(1 for r in runs if r.result != "ok")
            assert failed == 0 and summary["changed"] == size * changed, (failed, summary)
            results[f"fleet_{size}x{PRODUCTS_PER_SHOP}_round_s"] = round(wall, 2)
            log(
                f"round of {size} shops, {changed} products changed each: {wall:.2f} s "
                f"({wall / size * 1000:.1f} ms per shop)"
            )
    finally:
        for consumer in consumers:
            consumer.terminate()
        for consumer in consumers:
            try:
                consumer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                consumer.kill()
        server.stop()
    return results


if __name__ == "__main__":
    part = sys.argv[1]
    figures = single() if part == "single" else fleet()
    print(json.dumps(figures))
