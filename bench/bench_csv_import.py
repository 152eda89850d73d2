"""CSV import of 100,000 products: preview (read, diff, store the plan) and confirm (apply).

Runs in its own Python process (its own Django settings, a fresh SQLite database under
var/bench/csv_import/), through the services the pages use
(``catalog.services.product_csv_import_plan_create`` and ``product_csv_import_apply``).

The shop already has 50,000 products; the generated file (under the upload limit of 5 MB)
has 100,000 lines: the 50,000 known refs, one in five with a new price, and 50,000 new
products. Figures:

- csv_import_100k_preview_s: upload to stored preview;
- csv_import_100k_confirm_s: confirmation, every chunk committed;
- csv_import_100k_peak_mb: peak RSS growth of the process during preview + confirm (MiB).

The longest chunk (how long one transaction holds SQLite's write lock) is printed too.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "csv_import"
EXISTING = 50_000
LINES = 100_000


def run() -> dict[str, float | int]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "epiclic.settings"}
    env.update(
        EPICLIC_VAR_DIR=str(WORK),
        DATABASE_URL=f"sqlite:///{WORK / 'epiclic.sqlite3'}",
        HUEY_IMMEDIATE="true",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_csv_import", "child"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        check=True,
    ).stdout
    return json.loads(out.decode().strip().splitlines()[-1])


def _rss_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(key)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _csv() -> bytes:
    lines = ["ref;nom;prix_ttc;tva;unite;stock"]
    for n in range(LINES):
        price = Decimal(100 + n % 900) / 100
        if n < EXISTING and n % 5 == 0:
            price += Decimal("0.10")  # a changed price
        unit = "kg" if n % 7 == 0 else "pièce"
        lines.append(f"R{n:06d};Produit {n};{price};5,5;{unit};{n % 40}".replace(".", ","))
    return ("\r\n".join(lines) + "\r\n").encode()


def _seed(shop: Any) -> None:
    from django.db import transaction
    from django.utils import timezone

    from catalog.models import Product
    from imports import bulk

    now = timezone.now()
    for start in range(0, EXISTING, 10_000):
        rows = [
            {
                "ref": f"R{n:06d}",
                "name": f"Produit {n}",
                "price": str(Decimal(100 + n % 900) / 100),
                "vat_rate": "5.50",
                "unit": "kg" if n % 7 == 0 else "piece",
                "stock": str(n % 40),
            }
            for n in range(start, min(start + 10_000, EXISTING))
        ]
        with transaction.atomic():
            bulk.insert_rows(
                Product, rows, constants={"shop_id": shop.pk, "created_at": now, "updated_at": now}
            )


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from catalog import csv_io, services
    from catalog.models import Product
    from shops.models import Shop

    shop = Shop.objects.create(name="Banc d'essai CSV", slug="banc-csv")
    _seed(shop)
    data = _csv()
    assert len(data) <= csv_io.MAX_IMPORT_BYTES, len(data)
    chunks: list[float] = []
    write = services._csv_write

    def timed(*args: Any) -> dict[str, int]:
        started = time.perf_counter()
        try:
            return write(*args)
        finally:
            chunks.append(time.perf_counter() - started)

    services._csv_write = timed  # type: ignore[assignment]

    gc.collect()
    exact_peak = _reset_peak()
    baseline = _rss_kib("VmRSS")
    started = time.perf_counter()
    plan = services.product_csv_import_plan_create(
        shop=shop, user=None, filename="banc.csv", data=data
    )
    preview_s = time.perf_counter() - started
    started = time.perf_counter()
    result = services.product_csv_import_apply(shop=shop, plan_id=plan.pk)
    confirm_s = time.perf_counter() - started
    peak = _rss_kib("VmHWM")

    plan.refresh_from_db()
    assert plan.counts["new"] == LINES - EXISTING, plan.counts
    assert result == {"new": LINES - EXISTING, "changed": EXISTING // 5}, result
    assert Product.objects.filter(shop=shop).count() == LINES
    print(
        f"    ({len(data) / 1e6:.1f} MB file; {result['new']} created, {result['changed']} "
        f"changed; {len(chunks)} chunks, longest write {max(chunks):.3f} s"
        f"{'' if exact_peak else '; peak since start'})",
        file=sys.stderr,
        flush=True,
    )
    figures = {
        "csv_import_100k_preview_s": round(preview_s, 3),
        "csv_import_100k_confirm_s": round(confirm_s, 3),
        "csv_import_100k_peak_mb": round((peak - baseline) / 1024, 1),
    }
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        child()
    else:
        print(run())
