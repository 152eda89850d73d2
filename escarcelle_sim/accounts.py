"""Accounts, API keys (stored hashed), rate-limit settings and stored fault configurations."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from typing import Any

from .db import Database, internal_id, now_iso, public_id


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "esk_" + secrets.token_urlsafe(32)


def account_create(db: Database, *, name: str) -> tuple[str, str]:
    """Create an account; return (account id, plain API key). The key is not stored."""
    api_key = new_api_key()
    with db.write() as conn:
        cur = conn.execute(
            "INSERT INTO accounts (name, created_at) VALUES (?, ?)", (name, now_iso())
        )
        account = int(cur.lastrowid or 0)
        conn.execute(
            "INSERT INTO api_keys (key_hash, account_id, created_at) VALUES (?, ?, ?)",
            (hash_key(api_key), account, now_iso()),
        )
    return public_id("account", account), api_key


def account_get(conn: sqlite3.Connection, account_pid: str) -> sqlite3.Row | None:
    account = internal_id("account", account_pid)
    if account is None:
        return None
    return conn.execute("SELECT * FROM accounts WHERE id = ?", (account,)).fetchone()


def account_list(db: Database) -> list[dict[str, Any]]:
    rows = db.conn().execute("SELECT id, name, seq FROM accounts ORDER BY id").fetchall()
    return [
        {"id": public_id("account", r["id"]), "name": r["name"], "sequence": r["seq"]} for r in rows
    ]


def account_for_key(db: Database, api_key: str) -> sqlite3.Row | None:
    return (
        db.conn()
        .execute(
            "SELECT a.* FROM api_keys k JOIN accounts a ON a.id = k.account_id "
            "WHERE k.key_hash = ? AND k.revoked_at IS NULL",
            (hash_key(api_key),),
        )
        .fetchone()
    )


def keys_revoke(db: Database, *, account: int) -> int:
    with db.write() as conn:
        cur = conn.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
            (now_iso(), account),
        )
        return cur.rowcount


def key_rotate(db: Database, *, account: int) -> str:
    """Revoke every key of the account and issue a new one."""
    api_key = new_api_key()
    with db.write() as conn:
        conn.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
            (now_iso(), account),
        )
        conn.execute(
            "INSERT INTO api_keys (key_hash, account_id, created_at) VALUES (?, ?, ?)",
            (hash_key(api_key), account, now_iso()),
        )
    return api_key


def rate_limit_set(db: Database, *, account: int, per_minute: int | None) -> None:
    with db.write() as conn:
        conn.execute(
            "UPDATE accounts SET rate_limit_per_minute = ? WHERE id = ?", (per_minute, account)
        )


# --- Faults: stored so that the CLI can change them under a running server ----------------


def faults_set(db: Database, *, scope: str, config: dict[str, Any] | None) -> None:
    """scope is 'global' or an internal account id as a string; None clears."""
    with db.write() as conn:
        if config is None:
            conn.execute("DELETE FROM faults WHERE scope = ?", (scope,))
            return
        conn.execute(
            "INSERT INTO faults (scope, config, version) VALUES (?, ?, 1) "
            "ON CONFLICT(scope) DO UPDATE SET config = excluded.config, version = version + 1",
            (scope, json.dumps(config)),
        )


def faults_get(db: Database, scopes: list[str]) -> list[tuple[str, int, dict[str, Any]]]:
    marks = ",".join("?" * len(scopes))
    rows = (
        db.conn()
        .execute(f"SELECT scope, version, config FROM faults WHERE scope IN ({marks})", scopes)  # noqa: S608
        .fetchall()
    )
    return [(r["scope"], r["version"], json.loads(r["config"])) for r in rows]
