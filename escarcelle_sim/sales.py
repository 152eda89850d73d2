"""Sales: recording (with the ledger, in one transaction), idempotency keys, batch, listing."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .catalog import cursor_decode, cursor_encode, ledger_move
from .db import (
    Database,
    decimal_to_milli,
    internal_id,
    iso,
    milli_to_str,
    now,
    now_iso,
    parse_decimal,
    public_id,
)
from .problems import Problem
from .schemas import BatchIn, SaleIn

KEY_RETENTION = timedelta(days=7)
MAX_QUANTITY = Decimal(10000)


def request_hash(sale: SaleIn) -> str:
    fields = sale.model_dump(mode="json", exclude={"idempotency_key"})
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def keys_purge(conn: sqlite3.Connection) -> None:
    """Forget keys older than KEY_RETENTION (an indexed range delete: cheap on every write)."""
    conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (iso(now() - KEY_RETENTION),))


def keys_release_abandoned(db: Database) -> int:
    """At server start: a claim left `in_flight` belongs to a process that died mid-request.

    The sale and the claim's completion are one transaction, so such a sale was not
    recorded; without this, every retry with its key would get 409 for KEY_RETENTION.
    Only the server calls this (the CLI never claims keys); it assumes one server per database
    file, as `make run` and the test fixture start it.
    """
    with db.write() as conn:
        keys_purge(conn)
        return conn.execute("DELETE FROM idempotency_keys WHERE state = 'in_flight'").rowcount


_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _quantity(value: str, index: int) -> int:
    # Plain ASCII decimals only: Decimal() would also take " 1 ", "1_0", "1e2" or "١".
    number = parse_decimal(value) if _PLAIN_DECIMAL.fullmatch(value) else None
    problem = None
    if number is None:
        problem = "is not a decimal number"
    elif number <= 0:
        problem = "must be greater than 0"
    elif number != number.quantize(Decimal("0.001")):
        problem = "has more than 3 decimals"
    elif number > MAX_QUANTITY:
        problem = f"is over {MAX_QUANTITY}"
    if problem:
        raise Problem(
            422,
            "invalid_quantity",
            f"Line {index + 1}: quantity {value!r} {problem}.",
            errors=[{"loc": ["body", "lines", index, "quantity"], "msg": problem}],
        )
    return decimal_to_milli(number)  # type: ignore[arg-type]


def _record(conn: sqlite3.Connection, *, account: int, sale: SaleIn) -> dict[str, Any]:
    """Validate and record one sale; raise Problem (before any write) if it is refused."""
    beneficiary = None
    if sale.beneficiary_id is not None:
        beneficiary = internal_id("beneficiary", sale.beneficiary_id)
        found = (
            beneficiary
            and conn.execute(
                "SELECT 1 FROM beneficiaries WHERE id = ? AND account_id = ?",
                (beneficiary, account),
            ).fetchone()
        )
        if not found:
            raise Problem(
                422,
                "unknown_beneficiary",
                f"Beneficiary {sale.beneficiary_id!r} does not exist.",
                errors=[{"loc": ["body", "beneficiary_id"], "msg": "unknown beneficiary"}],
            )
    quantities = [_quantity(line.quantity, i) for i, line in enumerate(sale.lines)]
    wanted = {internal_id("product", line.product_id) for line in sale.lines} - {None}
    marks = ",".join("?" * len(wanted))
    products = {
        r["id"]: r["active"]
        for r in conn.execute(
            f"SELECT id, active FROM products WHERE account_id = ? AND id IN ({marks})",  # noqa: S608
            [account, *wanted],
        )
    }
    moves = []
    for i, line in enumerate(sale.lines):
        product = internal_id("product", line.product_id)
        loc = [{"loc": ["body", "lines", i, "product_id"], "msg": "refused product"}]
        if product is None or product not in products:
            raise Problem(
                422,
                "unknown_product",
                f"Line {i + 1}: product {line.product_id!r} does not exist.",
                errors=loc,
            )
        if not products[product]:
            raise Problem(
                422,
                "product_archived",
                f"Line {i + 1}: product {line.product_id!r} is archived.",
                errors=loc,
            )
        moves.append((product, -quantities[i]))

    created = now_iso()
    cur = conn.execute(
        "INSERT INTO sales (account_id, external_ref, date, beneficiary_id, seq, created_at, body)"
        " VALUES (?, ?, ?, ?, 0, ?, '')",
        (account, sale.external_ref, iso(sale.date), beneficiary, created),
    )
    sale_id = int(cur.lastrowid or 0)
    seqs = ledger_move(conn, account=account, moves=moves, reason="sale", sale_id=sale_id)
    body = {
        "id": public_id("sale", sale_id),
        "external_ref": sale.external_ref,
        "date": iso(sale.date),
        "beneficiary_id": sale.beneficiary_id,
        "sequence": seqs[-1],
        "created_at": created,
        "lines": [
            {
                "product_id": line.product_id,
                "quantity": milli_to_str(quantities[i]),
                "unit_price": line.unit_price,
                "shelf_price": line.shelf_price,
                "sequence": seqs[i],
            }
            for i, line in enumerate(sale.lines)
        ],
    }
    conn.execute(
        "UPDATE sales SET seq = ?, body = ? WHERE id = ?",
        (seqs[-1], json.dumps(body, ensure_ascii=False), sale_id),
    )
    return body


def _stored(
    conn: sqlite3.Connection, *, account: int, key: str, digest: str
) -> tuple[int, dict[str, Any]] | None:
    """The stored answer for this key, None if the key is new; Problem on 409/422."""
    row = conn.execute(
        "SELECT state, request_hash, status, body FROM idempotency_keys"
        " WHERE account_id = ? AND key = ?",
        (account, key),
    ).fetchone()
    if row is None:
        return None
    if row["state"] == "in_flight":
        raise Problem(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed; retry later.",
        )
    if row["request_hash"] != digest:
        raise Problem(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    return row["status"], json.loads(row["body"])


def sale_post(
    db: Database,
    *,
    account: int,
    key: str,
    sale: SaleIn,
    while_claimed: Callable[[], None] | None = None,
) -> tuple[int, dict[str, Any], bool]:
    """Record a sale under an Idempotency-Key; return (status, body, replayed)."""
    digest = request_hash(sale)
    with db.write() as conn:
        keys_purge(conn)
        stored = _stored(conn, account=account, key=key, digest=digest)
        if stored is not None:
            return stored[0], stored[1], True
        conn.execute(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, state, created_at)"
            " VALUES (?, ?, ?, 'in_flight', ?)",
            (account, key, digest, now_iso()),
        )
    try:
        if while_claimed is not None:
            while_claimed()
        with db.write() as conn:
            body = _record(conn, account=account, sale=sale)
            conn.execute(
                "UPDATE idempotency_keys SET state = 'done', status = 201, body = ?"
                " WHERE account_id = ? AND key = ?",
                (json.dumps(body, ensure_ascii=False), account, key),
            )
    except BaseException:
        # A refused or failed sale does not consume its key.
        with db.write() as conn:
            conn.execute(
                "DELETE FROM idempotency_keys WHERE account_id = ? AND key = ?", (account, key)
            )
        raise
    return 201, body, False


def sale_batch(db: Database, *, account: int, batch: BatchIn) -> list[dict[str, Any]]:
    results = []
    with db.write() as conn:
        keys_purge(conn)
        for sale in batch.sales:
            result: dict[str, Any] = {
                "idempotency_key": sale.idempotency_key,
                "status": 201,
                "replayed": False,
                "sale": None,
                "problem": None,
            }
            digest = request_hash(sale)
            conn.execute("SAVEPOINT sale")
            try:
                stored = _stored(conn, account=account, key=sale.idempotency_key, digest=digest)
                if stored is not None:
                    result.update(status=stored[0], replayed=True, sale=stored[1])
                else:
                    body = _record(conn, account=account, sale=sale)
                    conn.execute(
                        "INSERT INTO idempotency_keys (account_id, key, request_hash, state,"
                        " status, body, created_at) VALUES (?, ?, ?, 'done', 201, ?, ?)",
                        (account, sale.idempotency_key, digest, json.dumps(body), now_iso()),
                    )
                    result["sale"] = body
                conn.execute("RELEASE sale")
            except Problem as problem:
                conn.execute("ROLLBACK TO sale")
                conn.execute("RELEASE sale")
                result.update(status=problem.status, problem=problem.as_dict())
            results.append(result)
    return results


def sale_list(
    db: Database,
    *,
    account: int,
    limit: int,
    cursor: str | None,
    updated_since: datetime | None,
    external_ref: str | None,
) -> dict[str, Any]:
    if cursor:
        state = cursor_decode(cursor, "sales")
    else:
        since = iso(updated_since) if updated_since else None
        state = {"k": "sales", "a": 0, "u": since, "r": external_ref}
    sql = "SELECT id, body FROM sales WHERE account_id = ? AND id > ?"
    params: list[Any] = [account, state["a"]]
    if state.get("u"):
        sql += " AND created_at >= ?"
        params.append(state["u"])
    if state.get("r") is not None:
        sql += " AND external_ref = ?"
        params.append(state["r"])
    sql += " ORDER BY id LIMIT ?"
    params.append(limit + 1)
    rows = db.conn().execute(sql, params).fetchall()
    next_cursor = None
    if len(rows) > limit:
        next_cursor = cursor_encode({**state, "a": rows[limit - 1]["id"]})
    return {"data": [json.loads(r["body"]) for r in rows[:limit]], "next_cursor": next_cursor}


def sale_get(db: Database, *, account: int, sale_pid: str) -> dict[str, Any]:
    sale = internal_id("sale", sale_pid)
    row = sale and (
        db.conn()
        .execute("SELECT body FROM sales WHERE id = ? AND account_id = ?", (sale, account))
        .fetchone()
    )
    if not row:
        raise Problem(404, "not_found", f"Sale {sale_pid!r} does not exist.")
    return json.loads(row["body"])
