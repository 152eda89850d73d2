"""Products, beneficiaries, the stock ledger, and cursor pagination over them."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from typing import Any

from . import webhooks
from .db import (
    Database,
    decimal_to_milli,
    internal_id,
    iso,
    milli_to_str,
    now_iso,
    public_id,
)
from .problems import Problem

# --- Cursors ------------------------------------------------------------------------------


def cursor_encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def cursor_decode(cursor: str, kind: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        state = json.loads(raw)
        if not isinstance(state, dict) or state.get("k") != kind:
            raise ValueError
        for name in ("a", "s"):
            value = state.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**62:
                raise ValueError
        if not isinstance(state.get("u"), str | None) or not isinstance(state.get("r"), str | None):
            raise ValueError
        return state
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(
            422,
            "validation_error",
            "Invalid cursor.",
            errors=[{"loc": ["query", "cursor"], "msg": "invalid cursor"}],
        ) from None


def page_state(
    kind: str, cursor: str | None, updated_since: datetime | None, **extra: Any
) -> dict[str, Any]:
    if cursor:
        return cursor_decode(cursor, kind)
    return {"k": kind, "a": 0, "u": iso(updated_since) if updated_since else None, **extra}


def _page(rows: list[sqlite3.Row], limit: int, state: dict[str, Any]) -> str | None:
    if len(rows) <= limit:
        return None
    return cursor_encode({**state, "a": rows[limit - 1]["id"]})


# --- Products -----------------------------------------------------------------------------


def product_out(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": public_id("product", row["id"]),
        "ref": row["ref"],
        "barcode": row["barcode"],
        "name": row["name"],
        "description": row["description"],
        "category": row["category"],
        "unit": row["unit"],
        "unit_quantity": row["unit_quantity"],
        "price": row["price"],
        "vat_rate": row["vat_rate"],
        "active": bool(row["active"]),
        "updated_at": row["updated_at"],
    }


def _list(
    conn: sqlite3.Connection, table: str, account: int, state: dict[str, Any], limit: int
) -> list[sqlite3.Row]:
    sql = f"SELECT * FROM {table} WHERE account_id = ? AND id > ?"  # noqa: S608
    params: list[Any] = [account, state["a"]]
    if state.get("u"):
        sql += " AND updated_at >= ?"
        params.append(state["u"])
    sql += " ORDER BY id LIMIT ?"
    params.append(limit + 1)
    return conn.execute(sql, params).fetchall()


def product_list(
    db: Database, *, account: int, limit: int, cursor: str | None, updated_since: datetime | None
) -> dict[str, Any]:
    state = page_state("products", cursor, updated_since)
    rows = _list(db.conn(), "products", account, state, limit)
    return {
        "data": [product_out(r) for r in rows[:limit]],
        "next_cursor": _page(rows, limit, state),
    }


def product_row(conn: sqlite3.Connection, *, account: int, product_pid: str) -> sqlite3.Row:
    product = internal_id("product", product_pid)
    row = None
    if product is not None:
        row = conn.execute(
            "SELECT * FROM products WHERE id = ? AND account_id = ?", (product, account)
        ).fetchone()
    if row is None:
        raise Problem(404, "not_found", f"Product {product_pid!r} does not exist.")
    return row


PRODUCT_FIELDS = (
    "ref",
    "barcode",
    "name",
    "description",
    "category",
    "unit",
    "unit_quantity",
    "price",
    "vat_rate",
    "active",
)


def product_update(
    db: Database, *, account: int, product_pid: str, fields: dict[str, Any]
) -> dict[str, Any]:
    fields = {k: v for k, v in fields.items() if k in PRODUCT_FIELDS}
    with db.write() as conn:
        row = product_row(conn, account=account, product_pid=product_pid)
        assignments = "".join(f"{name} = ?, " for name in fields)
        conn.execute(
            f"UPDATE products SET {assignments}updated_at = ? WHERE id = ?",  # noqa: S608
            [
                *(int(v) if isinstance(v, bool) else v for v in fields.values()),
                now_iso(),
                row["id"],
            ],
        )
        product = product_out(
            conn.execute("SELECT * FROM products WHERE id = ?", (row["id"],)).fetchone()
        )
        archived = bool(row["active"]) and not product["active"]
        seq = conn.execute("SELECT seq FROM accounts WHERE id = ?", (account,)).fetchone()[0]
        webhooks.events_record(
            conn,
            account=account,
            events=[("product.archived" if archived else "product.updated", seq, product)],
        )
        return product


def product_create(db: Database, *, account: int, fields: dict[str, Any]) -> dict[str, Any]:
    with db.write() as conn:
        cur = conn.execute(
            "INSERT INTO products (account_id, ref, barcode, name, description, category, unit,"
            " unit_quantity, price, vat_rate, active, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account,
                fields.get("ref"),
                fields.get("barcode"),
                fields["name"],
                fields.get("description", ""),
                fields.get("category", ""),
                fields.get("unit", "piece"),
                fields.get("unit_quantity", "1.000"),
                fields["price"],
                fields.get("vat_rate", "5.5"),
                int(fields.get("active", True)),
                now_iso(),
            ),
        )
        row = conn.execute("SELECT * FROM products WHERE id = ?", (cur.lastrowid,)).fetchone()
        return product_out(row)


# --- Beneficiaries ------------------------------------------------------------------------


def beneficiary_out(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": public_id("beneficiary", row["id"]),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "phone": row["phone"],
        "card_number": row["card_number"],
        "household_size": row["household_size"],
        "participation_rate": row["participation_rate"],
        "monthly_budget": row["monthly_budget"],
        "access_valid_until": row["access_valid_until"],
        "active": bool(row["active"]),
        "updated_at": row["updated_at"],
    }


def beneficiary_list(
    db: Database, *, account: int, limit: int, cursor: str | None, updated_since: datetime | None
) -> dict[str, Any]:
    state = page_state("beneficiaries", cursor, updated_since)
    rows = _list(db.conn(), "beneficiaries", account, state, limit)
    data = [beneficiary_out(r) for r in rows[:limit]]
    return {"data": data, "next_cursor": _page(rows, limit, state)}


BENEFICIARY_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "card_number",
    "household_size",
    "participation_rate",
    "monthly_budget",
    "access_valid_until",
    "active",
)


def beneficiary_update(
    db: Database, *, account: int, beneficiary_pid: str, fields: dict[str, Any]
) -> dict[str, Any]:
    fields = {k: v for k, v in fields.items() if k in BENEFICIARY_FIELDS}
    bid = internal_id("beneficiary", beneficiary_pid) or 0
    with db.write() as conn:
        row = conn.execute(
            "SELECT id FROM beneficiaries WHERE id = ? AND account_id = ?", (bid, account)
        ).fetchone()
        if row is None:
            raise Problem(404, "not_found", f"Beneficiary {beneficiary_pid!r} does not exist.")
        assignments = "".join(f"{name} = ?, " for name in fields)
        conn.execute(
            f"UPDATE beneficiaries SET {assignments}updated_at = ? WHERE id = ?",  # noqa: S608
            [*(int(v) if isinstance(v, bool) else v for v in fields.values()), now_iso(), bid],
        )
        return beneficiary_out(
            conn.execute("SELECT * FROM beneficiaries WHERE id = ?", (bid,)).fetchone()
        )


# --- Stock ledger -------------------------------------------------------------------------


def ledger_move(
    conn: sqlite3.Connection,
    *,
    account: int,
    moves: list[tuple[int, int]],
    reason: str,
    sale_id: int | None = None,
) -> list[int]:
    """Append movements (product id, delta in thousandths); return their sequences.

    Must run inside `Database.write()`. The product's current quantity is kept in the same
    transaction so that reads need no sum over the ledger.
    """
    seq = conn.execute("SELECT seq FROM accounts WHERE id = ?", (account,)).fetchone()[0]
    created = now_iso()
    quantities: dict[int, int] = {}
    rows = []
    seqs = []
    for product, delta in moves:
        if product not in quantities:
            quantities[product] = conn.execute(
                "SELECT quantity_milli FROM products WHERE id = ?", (product,)
            ).fetchone()[0]
        quantities[product] += delta
        seq += 1
        seqs.append(seq)
        rows.append((account, seq, product, delta, quantities[product], reason, sale_id, created))
    conn.executemany(
        "INSERT INTO movements (account_id, seq, product_id, delta_milli, quantity_after_milli,"
        " reason, sale_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    last_seq = {row[2]: row[1] for row in rows}
    conn.executemany(
        "UPDATE products SET quantity_milli = ?, last_seq = ? WHERE id = ?",
        [(quantities[p], last_seq[p], p) for p in quantities],
    )
    conn.execute("UPDATE accounts SET seq = ? WHERE id = ?", (seq, account))
    webhooks.events_record(
        conn,
        account=account,
        events=[
            (
                "stock.changed",
                row[1],
                {
                    "product_id": public_id("product", row[2]),
                    "quantity": milli_to_str(row[4]),
                    "delta": milli_to_str(row[3]),
                    "reason": reason,
                },
            )
            for row in rows
        ],
    )
    return seqs


def movement_record(
    db: Database, *, account: int, product_pid: str, reason: str, quantity: Decimal
) -> dict[str, Any]:
    """Shop-side movements: in-shop sale (removes), restock (adds), adjustment (sets)."""
    with db.write() as conn:
        row = product_row(conn, account=account, product_pid=product_pid)
        milli = decimal_to_milli(quantity)
        if reason == "in_shop_sale":
            delta = -milli
        elif reason == "restock":
            delta = milli
        elif reason == "adjustment":
            delta = milli - row["quantity_milli"]
        else:
            raise Problem(422, "validation_error", f"Unknown reason {reason!r}.")
        (seq,) = ledger_move(conn, account=account, moves=[(row["id"], delta)], reason=reason)
        after = conn.execute(
            "SELECT quantity_milli FROM products WHERE id = ?", (row["id"],)
        ).fetchone()[0]
    return {
        "product_id": product_pid,
        "quantity": milli_to_str(after),
        "delta": milli_to_str(delta),
        "sequence": seq,
        "reason": reason,
    }


def stock_snapshot(db: Database, *, account: int, limit: int, cursor: str | None) -> dict[str, Any]:
    with db.read() as conn:
        if cursor:
            state = cursor_decode(cursor, "stock")
        else:
            seq = conn.execute("SELECT seq FROM accounts WHERE id = ?", (account,)).fetchone()[0]
            state = {"k": "stock", "a": 0, "s": seq}
        snap = int(state.get("s", 0))
        rows = conn.execute(
            "SELECT id, quantity_milli, last_seq FROM products"
            " WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?",
            (account, state["a"], limit + 1),
        ).fetchall()
        data = []
        for row in rows[:limit]:
            quantity, last = row["quantity_milli"], row["last_seq"]
            if last > snap:
                # Moved after the snapshot: take the quantity as of the snapshot.
                old = conn.execute(
                    "SELECT quantity_after_milli, seq FROM movements"
                    " WHERE product_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                    (row["id"], snap),
                ).fetchone()
                quantity, last = (old[0], old[1]) if old else (0, 0)
            data.append(
                {
                    "product_id": public_id("product", row["id"]),
                    "quantity": milli_to_str(quantity),
                    "sequence": last,
                }
            )
    return {"data": data, "next_cursor": _page(rows, limit, state), "sequence": snap}


def stock_current(db: Database, *, account: int, product_pids: list[str]) -> dict[str, Any]:
    """Current quantities of the products asked for; unknown ids are left out.

    One read transaction, so every row is consistent with the sequence returned.
    """
    ids = sorted({i for i in (internal_id("product", p) for p in product_pids) if i is not None})
    with db.read() as conn:
        seq = conn.execute("SELECT seq FROM accounts WHERE id = ?", (account,)).fetchone()[0]
        rows = conn.execute(
            "SELECT p.id, p.quantity_milli, p.last_seq FROM products p"
            " JOIN json_each(?) j ON j.value = p.id WHERE p.account_id = ? ORDER BY p.id",
            (json.dumps(ids), account),
        ).fetchall()
    data = [
        {
            "product_id": public_id("product", r["id"]),
            "quantity": milli_to_str(r["quantity_milli"]),
            "sequence": r["last_seq"],
        }
        for r in rows
    ]
    return {"data": data, "next_cursor": None, "sequence": seq}


def stock_changes(
    db: Database, *, account: int, since: int, limit: int, cursor: str | None
) -> dict[str, Any]:
    state = cursor_decode(cursor, "changes") if cursor else {"k": "changes", "a": since}
    with db.read() as conn:
        current = conn.execute("SELECT seq FROM accounts WHERE id = ?", (account,)).fetchone()[0]
        rows = conn.execute(
            "SELECT seq, product_id, delta_milli, quantity_after_milli, reason FROM movements"
            " WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (account, state["a"], limit + 1),
        ).fetchall()
    data = [
        {
            "product_id": public_id("product", r["product_id"]),
            "quantity": milli_to_str(r["quantity_after_milli"]),
            "delta": milli_to_str(r["delta_milli"]),
            "sequence": r["seq"],
            "reason": r["reason"],
        }
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        next_cursor = cursor_encode({"k": "changes", "a": rows[limit - 1]["seq"]})
    return {"data": data, "next_cursor": next_cursor, "sequence": current}
