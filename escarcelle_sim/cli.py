"""`escarcelle-sim`: serve the emulator, or change its data straight in the SQLite file."""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import ValidationError

from . import accounts, catalog
from .admin import ProductIn
from .db import Database, public_id
from .faults import FaultConfig
from .seed import CATALOGUE, seed_account, seed_fleet

DEMO_NAME = "Épicerie solidaire de démo"


def _db(args: argparse.Namespace) -> Database:
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    return Database(args.db)


def _account(db: Database, account_pid: str) -> int:
    row = accounts.account_get(db.conn(), account_pid)
    if row is None:
        sys.exit(f"Unknown account {account_pid!r}.")
    return row["id"]


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    app = create_app(args.db, args.admin_token, rate_limit_per_minute=args.rate_limit)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=2,
    )
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    import tempfile

    from .app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(os.path.join(tmp, "openapi.sqlite3"))
        print(json.dumps(app.openapi(), indent=2, ensure_ascii=False))
    return 0


def cmd_create_account(args: argparse.Namespace) -> int:
    account_pid, api_key = accounts.account_create(_db(args), name=args.name)
    print(f"account: {account_pid}\napi_key: {api_key}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    db = _db(args)
    counts = seed_account(
        db,
        account=_account(db, args.account),
        products=args.products,
        beneficiaries=args.beneficiaries,
        seed=args.seed,
    )
    print(f"seeded {counts['products']} products, {counts['beneficiaries']} beneficiaries")
    return 0


def cmd_seed_fleet(args: argparse.Namespace) -> int:
    """Many seeded accounts in one transaction; one `account_id<TAB>api_key` line each."""
    created = seed_fleet(
        _db(args),
        accounts=args.accounts,
        products=args.products,
        beneficiaries=args.beneficiaries,
        seed=args.seed,
        name=args.name,
    )
    lines = "".join(f"{account_pid}\t{api_key}\n" for account_pid, api_key in created)
    if args.keys_file:
        _write_private(Path(args.keys_file), lines)
    else:
        sys.stdout.write(lines)
    total = len(created) * args.products
    print(f"seeded {len(created)} accounts, {total} products", file=sys.stderr)
    return 0


def _write_private(path: Path, text: str) -> None:
    """API keys: the file is made private before they are written to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(text)


def _quantity(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError("not a decimal number") from None
    if not value.is_finite() or abs(value) > 100_000 or value != round(value, 3):
        raise argparse.ArgumentTypeError("at most 100000, with 3 decimals")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def cmd_demo(args: argparse.Namespace) -> int:
    """Idempotent: the first run creates the demo account; later runs print the same key."""
    db = _db(args)
    key_file = Path(args.key_file)
    known = [a for a in accounts.account_list(db) if a["name"] == DEMO_NAME]
    if known:
        account_pid = known[0]["id"]
        api_key = key_file.read_text().strip() if key_file.exists() else ""
        owner = accounts.account_for_key(db, api_key) if api_key else None
        if owner is None or public_id("account", owner["id"]) != account_pid:
            api_key = accounts.key_rotate(db, account=_account(db, account_pid))  # lost or stale
    else:
        # Account and catalogue in one transaction: an interrupted first run leaves no empty demo.
        [(account_pid, api_key)] = seed_fleet(
            db, accounts=1, products=len(CATALOGUE), beneficiaries=20, seed=1, name=DEMO_NAME
        )
    _write_private(key_file, api_key + "\n")
    print(f"Escarcelle (émulateur) — compte de démo « {DEMO_NAME} » ({account_pid})")
    print(f"  URL de l'API : {args.url}  (le client ajoute /api/v1)")
    print(f"  Clé d'API    : {api_key}")
    print(f"  Page         : {args.url.rstrip('/')}/ui/accounts/{account_pid}")
    return 0


def cmd_movement(args: argparse.Namespace) -> int:
    db = _db(args)
    reason = {"sell": "in_shop_sale", "restock": "restock", "adjust": "adjustment"}[args.command]
    change = catalog.movement_record(
        db,
        account=_account(db, args.account),
        product_pid=args.product,
        reason=reason,
        quantity=args.quantity,
    )
    print(json.dumps(change, ensure_ascii=False))
    return 0


def cmd_edit_product(args: argparse.Namespace) -> int:
    db = _db(args)
    names = ("name", "description", "category", "ref", "barcode", "unit", "price", "vat_rate")
    fields = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    if args.command == "archive-product":
        fields = {"active": False}
    try:  # the same checks as the admin API: what the public API serves stays in contract
        fields = ProductIn(**fields).model_dump(exclude_unset=True)
    except ValidationError as exc:
        sys.exit(f"Invalid product fields: {exc}")
    product = catalog.product_update(
        db, account=_account(db, args.account), product_pid=args.product, fields=fields
    )
    print(json.dumps(product, ensure_ascii=False))
    return 0


def cmd_faults(args: argparse.Namespace) -> int:
    db = _db(args)
    scope = "global" if args.account == "global" else str(_account(db, args.account))
    if args.clear:
        accounts.faults_set(db, scope=scope, config=None)
        print("faults cleared")
        return 0
    names = ("seed", "error_rate", "latency_ms", "hang_s", "reset_before_commit_rate",
             "reset_after_commit_rate", "malformed_rate", "outage_s", "paths")  # fmt: skip
    config = FaultConfig(**{n: getattr(args, n) for n in names if getattr(args, n) is not None})
    stored = config.stored()
    accounts.faults_set(db, scope=scope, config=stored)
    print(json.dumps(stored))
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    db = _db(args)
    print(f"api_key: {accounts.key_rotate(db, account=_account(db, args.account))}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="escarcelle-sim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    default_db = "var/escarcelle-sim.sqlite3"

    def command(name: str, func: object, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.set_defaults(func=func)
        if name != "openapi":
            p.add_argument("--db", default=default_db)
        return p

    p = command("serve", cmd_serve, "run the HTTP server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8100)
    p.add_argument("--admin-token", default=None)
    p.add_argument("--rate-limit", type=int, default=1200, help="requests per minute per key")
    p.add_argument("--log-level", default="warning")

    command("openapi", cmd_openapi, "print the OpenAPI document")

    p = command("create-account", cmd_create_account, "create an account, print its key")
    p.add_argument("name")

    p = command("seed", cmd_seed, "seed an account with products and beneficiaries")
    p.add_argument("--account", required=True)
    p.add_argument("--products", type=int, default=60)
    p.add_argument("--beneficiaries", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)

    p = command("seed-fleet", cmd_seed_fleet, "create many seeded accounts, print their keys")
    p.add_argument("--accounts", type=_count, required=True)
    p.add_argument("--products", type=_count, default=2000, help="per account")
    p.add_argument("--beneficiaries", type=_count, default=0, help="per account")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--name", default="Épicerie n°{n}", help="{n} is the account's number")
    p.add_argument("--keys-file", help="write `account_id<TAB>api_key` lines here (else stdout)")

    p = command("demo", cmd_demo, "create (once) the demo account and print its key")
    p.add_argument("--key-file", default="var/escarcelle-demo-key.txt")
    port = os.environ.get("ESCARCELLE_SIM_PORT", "8100")
    p.add_argument("--url", default=f"http://127.0.0.1:{port}")

    for name, help_text in (
        ("sell", "record an in-shop sale (removes stock)"),
        ("restock", "record a delivery (adds stock)"),
        ("adjust", "record an inventory count (sets stock)"),
    ):
        p = command(name, cmd_movement, help_text)
        p.add_argument("--account", required=True)
        p.add_argument("--product", required=True)
        p.add_argument("--quantity", required=True, type=_quantity)

    for name in ("edit-product", "archive-product"):
        p = command(name, cmd_edit_product, name.replace("-", " "))
        p.add_argument("--account", required=True)
        p.add_argument("--product", required=True)
        for field in ("name", "description", "category", "ref", "barcode", "unit", "price"):
            p.add_argument(f"--{field}")
        p.add_argument("--vat-rate", dest="vat_rate")

    p = command("faults", cmd_faults, "set or clear faults of an account ('global' for all)")
    p.add_argument("--account", required=True)
    p.add_argument("--clear", action="store_true")
    p.add_argument("--seed", type=int)
    for field in ("error-rate", "hang-s", "reset-before-commit-rate", "reset-after-commit-rate",
                  "malformed-rate", "outage-s"):  # fmt: skip
        p.add_argument(f"--{field}", type=float)
    p.add_argument("--latency-ms", type=int)
    p.add_argument("--paths", nargs="*")

    p = command("rotate-key", cmd_rotate_key, "revoke the keys of an account, print a new one")
    p.add_argument("--account", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
