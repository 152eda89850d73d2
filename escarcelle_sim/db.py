"""SQLite storage: schema, connections, and small conversion helpers.

One connection per thread (WAL mode lets readers run beside the writer); every write goes
through `Database.write()`, which holds a process-wide lock and a `BEGIN IMMEDIATE`
transaction, so ledger sequences are assigned one writer at a time even across processes
(the CLI writes to the same file).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    rate_limit_per_minute INTEGER
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_account ON api_keys(account_id);
CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    ref TEXT, barcode TEXT, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '', unit TEXT NOT NULL DEFAULT 'piece',
    unit_quantity TEXT NOT NULL DEFAULT '1.000', price TEXT NOT NULL,
    vat_rate TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL,
    quantity_milli INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS products_account ON products(account_id, id);
CREATE TABLE IF NOT EXISTS movements (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    delta_milli INTEGER NOT NULL,
    quantity_after_milli INTEGER NOT NULL,
    reason TEXT NOT NULL,
    sale_id INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (account_id, seq)
);
CREATE INDEX IF NOT EXISTS movements_product ON movements(product_id, seq);
CREATE TABLE IF NOT EXISTS beneficiaries (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT, phone TEXT NOT NULL,
    card_number TEXT NOT NULL, household_size INTEGER NOT NULL,
    participation_rate TEXT NOT NULL, monthly_budget TEXT, access_valid_until TEXT,
    active INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS beneficiaries_account ON beneficiaries(account_id, id);
CREATE TABLE IF NOT EXISTS sales (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    external_ref TEXT NOT NULL,
    date TEXT NOT NULL,
    beneficiary_id INTEGER,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sales_account ON sales(account_id, id);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    account_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency_keys(created_at);
CREATE TABLE IF NOT EXISTS faults (
    scope TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT,
    cursor INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT
);
CREATE INDEX IF NOT EXISTS webhooks_account ON webhooks(account_id);
CREATE TABLE IF NOT EXISTS webhook_events (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_events_account ON webhook_events(account_id, id);
CREATE TABLE IF NOT EXISTS webhook_attempts (
    id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    outcome TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_attempts_hook ON webhook_attempts(webhook_id, id);
CREATE TABLE IF NOT EXISTS webhook_faults (account_id INTEGER PRIMARY KEY, config TEXT NOT NULL);
"""

MILLI = Decimal("0.001")


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.RLock()
        with self._write_lock:
            self.conn().executescript(SCHEMA)

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=OFF")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One serialized write transaction; commits on success, rolls back on error."""
        with self._write_lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same snapshot."""
        conn = self.conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")


# --- Conversions --------------------------------------------------------------------------


def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """Fixed-width UTC form, so that string comparison in SQL orders correctly."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def now_iso() -> str:
    return iso(now())


def milli_to_str(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    whole, frac = divmod(abs(milli), 1000)
    return f"{sign}{whole}.{frac:03d}"


def parse_decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def decimal_to_milli(number: Decimal) -> int:
    return int((number / MILLI).to_integral_value())


PREFIXES = {
    "account": "acc_",
    "product": "prd_",
    "beneficiary": "ben_",
    "sale": "sale_",
    "webhook": "whk_",
    "event": "evt_",
}


def public_id(kind: str, internal: int) -> str:
    return f"{PREFIXES[kind]}{internal}"


def internal_id(kind: str, value: str | None) -> int | None:
    prefix = PREFIXES[kind]
    if not value or not value.startswith(prefix) or not value[len(prefix) :].isdigit():
        return None
    number = int(value[len(prefix) :])
    return number if 0 < number < 2**62 else None
