"""Import 10,000 products from the emulator: preview (fetch + plan) and confirm (apply).

Runs the emulator as a subprocess (as the tests do) and Django on a fresh SQLite database
under var/bench/. Figures: import_10k_preview_s, import_10k_confirm_s, import_10k_queries
(SQL queries of preview + confirm together).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench" / "import"


def run() -> dict[str, float | int]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "epiclic.settings"
    os.environ["EPICLIC_VAR_DIR"] = str(WORK)
    os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'epiclic.sqlite3'}"
    os.environ["HUEY_IMMEDIATE"] = "true"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.fixtures_escarcelle import SimServer
    from tests.servers import free_port

    server = SimServer(db_path=WORK / "sim.sqlite3", port=free_port())
    server.start()
    try:
        account = server.create_account("Épicerie du banc d'essai")
        account.seed(products=10_000, beneficiaries=0, seed=7)
        settings.ESCARCELLE_BASE_URL = server.base_url
        call_command("migrate", verbosity=0)

        from catalog.models import Product
        from escarcelle.connection import connection_save
        from escarcelle.imports.plans import (
            import_plan_apply,
            import_plan_build,
            import_plan_create,
        )
        from shops.models import Shop

        shop = Shop.objects.create(name="Banc d'essai", slug="banc")
        connection_save(shop=shop, user=None, api_key=account.api_key)
        with CaptureQueriesContext(connection) as preview_queries:
            started = time.perf_counter()
            plan = import_plan_create(shop=shop, kind="products", user=None)
            import_plan_build(plan_id=plan.pk)
            preview_s = time.perf_counter() - started
        plan.refresh_from_db()
        with CaptureQueriesContext(connection) as confirm_queries:
            started = time.perf_counter()
            import_plan_apply(shop=shop, plan_id=plan.pk, user=None)
            confirm_s = time.perf_counter() - started
        created = Product.objects.filter(shop=shop).count()
        assert created == plan.counts["new"] > 9000, (created, plan.counts)
        print(f"    ({created} products created; fetch {plan.read_s:.2f} s of the preview)")
    finally:
        server.stop()
    return {
        "import_10k_preview_s": round(preview_s, 3),
        "import_10k_confirm_s": round(confirm_s, 3),
        "import_10k_queries": len(preview_queries) + len(confirm_queries),
    }
