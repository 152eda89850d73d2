"""Stock right to the minute: the live check at confirmation and pushed stock movements.

One Python process with its own SQLite (var/bench/live_stock/), the emulator as a subprocess
and Epiclic's web server (``runserver``) as another, both on loopback, as in production.

- confirm_live_check_p95_ms: the time the live check adds to a confirmation of a cart of 20
  Escarcelle products (``stock_refresh``: one ``GET /stock?product_id=…`` and the store), p95
  of 100 confirmations (also _p50_ms, and confirm_with_live_check_p95_ms for the whole
  confirmation).
- webhook_to_available_p95_s: from an in-shop sale in the emulator (admin API) to the new
  figure in ``available_quantities`` (what the ordering page shows), the emulator pushing it to
  Epiclic's webhook endpoint; p95 over 200 sales (also _p50_s, _max_s).
- oversell_units_live: a scripted run of BENCH_OVERSELL_S seconds (default 120): the till sells
  one unit a second of 5 products (30 units each at the start) while beneficiaries keep
  ordering them; after each confirmation the emulator's quantity is read and the units
  confirmed online beyond it are counted (an upper bound: a till sale between the confirmation
  and that read counts too). No sync runs during the run; only the live check keeps the
  figures fresh. oversell_units_without_live is the same run with the live check off;
  oversell_run_* are the run's counts.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "live_stock"
OVERSELL_S = float(os.environ.get("BENCH_OVERSELL_S", "120"))


def log(message: str) -> None:
    print(f"    {message}", file=sys.stderr, flush=True)


def run() -> dict[str, float | int]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_live_stock", "inside"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        check=True,
    ).stdout
    return json.loads(out.decode().strip().splitlines()[-1])


def _env() -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "epiclic.settings"}
    env["EPICLIC_VAR_DIR"] = str(WORK)
    env["LOG_LEVEL"] = "WARNING"
    env["DATABASE_URL"] = f"sqlite:///{WORK / 'epiclic.sqlite3'}"
    env["HUEY_IMMEDIATE"] = "true"
    env.pop("REDIS_URL", None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def inside() -> dict[str, float | int]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from escarcelle.connection import connection_save
    from escarcelle.stock.services import stock_sync_shop
    from shops.models import Shop
    from tests.factories import bind_products
    from tests.fixtures_escarcelle import SimServer

    server = SimServer(db_path=WORK / "sim.sqlite3", port=_free_port())
    server.start()
    web_port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        account = server.create_account("Épicerie du banc d'essai (stock en direct)")
        account.seed(products=40, beneficiaries=0, seed=3)
        account.set_rate_limit(100_000)
        settings.ESCARCELLE_BASE_URL = server.base_url
        shop = Shop.objects.create(name="Banc d'essai (direct)", slug="banc-direct")
        connection_save(shop=shop, user=None, api_key=account.api_key)
        products = bind_products(shop=shop, account=account)
        stock_sync_shop(shop=shop)
        results: dict[str, float | int] = {}
        results.update(_confirm_figures(shop, products[:20], account))
        results.update(_webhook_figures(shop, products[20:30], account, web_port))
        results.update(_oversell_figures(shop, products[30:35], account))
        return results
    finally:
        web.terminate()
        web.wait(timeout=10)
        server.stop()


def _member(shop):  # noqa: ANN001, ANN202
    from tests.factories import make_beneficiary

    return make_beneficiary(shop=shop, participation_rate="100").membership


def _distribution(shop, products):  # noqa: ANN001, ANN202
    from tests.factories import make_catalogue, make_distribution

    return make_distribution(shop=shop, catalogues=[make_catalogue(shop=shop, products=products)])


def _confirm_figures(shop, products, account) -> dict[str, float]:  # noqa: ANN001
    from distributions.availability import stock_refresh
    from distributions.services import order_confirm

    for product in products:
        account.adjust(product.escarcelle_id, "100000")
    distribution = _distribution(shop, products)
    ids = [p.pk for p in products]
    refresh_ms, confirm_ms = [], []
    for _ in range(100):
        started = time.perf_counter()
        stock_refresh(shop=shop, product_ids=ids)
        refresh_ms.append((time.perf_counter() - started) * 1000)
        member = _member(shop)
        started = time.perf_counter()
        order_confirm(
            membership=member, distribution=distribution, quantities=dict.fromkeys(ids, Decimal(1))
        )
        confirm_ms.append((time.perf_counter() - started) * 1000)
    log(f"live check p50 {statistics.median(refresh_ms):.1f} ms")
    return {
        "confirm_live_check_p95_ms": round(_p(refresh_ms, 0.95), 1),
        "confirm_live_check_p50_ms": round(statistics.median(refresh_ms), 1),
        "confirm_with_live_check_p95_ms": round(_p(confirm_ms, 0.95), 1),
    }


def _webhook_figures(shop, products, account, web_port: int) -> dict[str, float]:  # noqa: ANN001
    from distributions.availability import available_quantities
    from escarcelle.stock.webhooks import webhook_register

    for product in products:
        account.adjust(product.escarcelle_id, "100000")
    base = f"http://127.0.0.1:{web_port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", web_port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    webhook_register(shop=shop, url_for=lambda token: f"{base}/{shop.slug}/stocks/webhook/{token}/")
    rng = random.Random(7)
    latencies = []
    for _ in range(200):
        product = rng.choice(products)
        before = available_quantities(shop=shop, product_ids=[product.pk])[product.pk]
        started = time.perf_counter()
        account.sell_in_shop(product.escarcelle_id, "1")
        while available_quantities(shop=shop, product_ids=[product.pk])[product.pk] == before:
            if time.perf_counter() - started > 30:
                raise RuntimeError("a pushed movement never arrived")
            time.sleep(0.005)
        latencies.append(time.perf_counter() - started)
    log(f"webhook to available p50 {statistics.median(latencies) * 1000:.0f} ms")
    return {
        "webhook_to_available_p95_s": round(_p(latencies, 0.95), 3),
        "webhook_to_available_p50_s": round(statistics.median(latencies), 3),
        "webhook_to_available_max_s": round(max(latencies), 3),
    }


def _oversell_figures(shop, products, account) -> dict[str, float | int]:  # noqa: ANN001
    from distributions import availability
    from distributions.models import Order, OrderStatus
    from escarcelle.stock.models import WebhookEndpoint
    from escarcelle.stock.services import stock_sync_shop

    # Pushed updates off: only the live check (or nothing) keeps the figures fresh.
    WebhookEndpoint.objects.filter(shop=shop).delete()
    with account.client() as http:
        for hook in http.get("/webhooks").json()["data"]:
            http.delete(f"/webhooks/{hook['id']}")
    results: dict[str, float | int] = {}
    live = dict(availability._LIVE)
    for label, with_live in (("live", True), ("without_live", False)):
        # Each run starts from the same figures: the previous run's orders are cancelled.
        Order.objects.filter(shop=shop).update(status=OrderStatus.CANCELLED)
        for product in products:
            account.adjust(product.escarcelle_id, "30")
        stock_sync_shop(shop=shop, force_full=True)
        availability._LIVE.clear()
        if with_live:
            availability._LIVE.update(live)
        counts = _oversell_run(shop, products, account)
        availability._LIVE.clear()
        availability._LIVE.update(live)
        log(f"oversell {label}: {counts}")
        results[f"oversell_units_{label}"] = counts["oversold_units"]
        if with_live:
            for key, value in counts.items():
                if key != "oversold_units":
                    results[f"oversell_run_{key}"] = value
    return results


def _oversell_run(shop, products, account) -> dict[str, int]:  # noqa: ANN001
    from distributions.models import OrderLine, OrderStatus
    from distributions.services import order_confirm
    from epiclic.errors import Refusal

    distribution = _distribution(shop, products)
    stop = threading.Event()
    till_sales = 0

    def till() -> None:
        nonlocal till_sales
        rng = random.Random(11)
        while not stop.wait(1.0):
            account.sell_in_shop(rng.choice(products).escarcelle_id, "1")
            till_sales += 1

    seller = threading.Thread(target=till, daemon=True)
    seller.start()
    rng = random.Random(13)
    confirmed = refused = units = oversold = 0
    ends = time.monotonic() + OVERSELL_S
    try:
        while time.monotonic() < ends:
            product = rng.choice(products)
            quantity = rng.choice([1, 1, 2])
            try:
                order_confirm(
                    membership=_member(shop),
                    distribution=distribution,
                    quantities={product.pk: Decimal(quantity)},
                )
            except Refusal:
                refused += 1
                time.sleep(0.05)
                continue
            confirmed += 1
            units += quantity
            escarcelle = account.stock()[product.escarcelle_id]
            held = sum(
                OrderLine.objects.filter(
                    order__distribution=distribution,
                    order__status=OrderStatus.CONFIRMED,
                    product=product,
                ).values_list("quantity", flat=True)
            )
            oversold += int(min(Decimal(quantity), max(Decimal(0), held - escarcelle)))
    finally:
        stop.set()
        seller.join()
    return {
        "oversold_units": oversold,
        "orders_confirmed": confirmed,
        "orders_refused": refused,
        "units_confirmed": units,
        "till_sales": till_sales,
        "seconds": int(OVERSELL_S),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["inside"]:
        print(json.dumps(inside()))
