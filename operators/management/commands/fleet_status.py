"""The fleet page for scripts: one line (or one JSON object) per grocery."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from operators.fleet import fleet_row, fleet_shops


class Command(BaseCommand):
    help = "Every grocery's Escarcelle state, stock sync, unsent sales and last import."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="a JSON list")
        parser.add_argument("--trouble", action="store_true", help="only groceries in trouble")
        parser.add_argument("--search", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        shops = fleet_shops(query=options["search"], trouble=options["trouble"])
        rows = [fleet_row(shop) for shop in shops.iterator(chunk_size=500)]
        if options["json"]:
            self.stdout.write(json.dumps([row.as_json() for row in rows], indent=2))
            return
        for row in rows:
            sync = (
                f"{row.last_sync_at:%Y-%m-%d %H:%M} {row.last_sync_result}"
                if row.last_sync_at
                else "never"
            )
            flags = " TROUBLE" if row.in_trouble else ""
            suspended = " suspended" if row.shop.suspended_at else ""
            self.stdout.write(
                f"{row.shop.slug:30} {row.state:15} sync {sync:22} failures "
                f"{row.consecutive_failures:<3} sales pending {row.sales_pending:<4} "
                f"failed {row.sales_failed:<4}{suspended}{flags}"
            )
