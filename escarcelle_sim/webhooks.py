"""Webhooks: an account's endpoints, the events its ledger and catalogue produce, delivery.

Events are written in the same transaction as what they describe (a ledger movement, a
product change), and only for accounts with at least one endpoint. A dispatcher thread (started
with the server, not by the CLI) delivers them to each endpoint **in event order**: an event is
sent only once every earlier one was delivered or given up, at least once each, signed
(Standard Webhooks style) with HMAC-SHA256 over ``<timestamp>.<body>``. A failed delivery is
retried with exponential back-off (1 s, 2 s, 4 s … capped at 1 h) for 24 h after the event, then
given up (shown as failed on the UI page). Faults (errors, delays, duplicates, out-of-order
delivery) are set per account through the admin API.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import random
import secrets
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field

from .db import Database, internal_id, iso, now, now_iso, public_id
from .problems import Problem

log = logging.getLogger("escarcelle_sim.webhooks")

EventType = Literal["stock.changed", "product.updated", "product.archived"]
MAX_ENDPOINTS = 10
GIVE_UP_AFTER = timedelta(hours=24)
MAX_BACKOFF_S = 3600.0
DELIVERY_TIMEOUT_S = 5.0
POLL_S = 0.05
HEADER_ID = "Escarcelle-Webhook-Id"
HEADER_TIMESTAMP = "Escarcelle-Webhook-Timestamp"
HEADER_SIGNATURE = "Escarcelle-Webhook-Signature"


# --- Wire models ----------------------------------------------------------------------------


class WebhookIn(BaseModel):
    model_config = {"extra": "forbid"}
    url: Annotated[str, Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")]
    events: Annotated[list[EventType], Field(min_length=1, max_length=3)]


class Webhook(BaseModel):
    id: str
    url: str
    events: list[EventType]
    created_at: str


class WebhookCreated(Webhook):
    secret: str = Field(description="Shown once: sign-check every delivery with it.")


class WebhookPage(BaseModel):
    data: list[Webhook]
    next_cursor: str | None


class WebhookFaults(BaseModel):
    model_config = {"extra": "forbid"}
    seed: int = 42
    error_rate: Annotated[float, Field(ge=0, le=1)] = 0.0  # not sent; counted as a failure
    latency_ms: Annotated[int, Field(ge=0, le=60_000)] = 0
    duplicate_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    reorder_rate: Annotated[float, Field(ge=0, le=1)] = 0.0  # the next event goes first


# --- Events (called inside the writer's transaction) ------------------------------------------


def _subscribed(conn: sqlite3.Connection, account: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM webhooks WHERE account_id = ? AND deleted_at IS NULL LIMIT 1", (account,)
    ).fetchone()
    return row is not None


def events_record(
    conn: sqlite3.Connection, *, account: int, events: list[tuple[str, int, dict[str, Any]]]
) -> None:
    """Store ``(type, sequence, data)`` events of ``account``, if anyone listens."""
    if not events or not _subscribed(conn, account):
        return
    created = now_iso()
    conn.executemany(
        "INSERT INTO webhook_events (account_id, type, seq, data, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(account, kind, seq, json.dumps(data), created) for kind, seq, data in events],
    )


def event_body(row: sqlite3.Row) -> bytes:
    return json.dumps(
        {
            "id": public_id("event", row["id"]),
            "type": row["type"],
            "account_id": public_id("account", row["account_id"]),
            "sequence": row["seq"],
            "created_at": row["created_at"],
            "data": json.loads(row["data"]),
        },
        separators=(",", ":"),
    ).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


# --- Public API -------------------------------------------------------------------------------


def _out(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": public_id("webhook", row["id"]),
        "url": row["url"],
        "events": json.loads(row["events"]),
        "created_at": row["created_at"],
    }


def webhook_create(db: Database, *, account: int, body: WebhookIn) -> dict[str, Any]:
    secret = "whsec_" + secrets.token_urlsafe(32)
    with db.write() as conn:
        count = conn.execute(
            "SELECT COUNT(*) FROM webhooks WHERE account_id = ? AND deleted_at IS NULL",
            (account,),
        ).fetchone()[0]
        if count >= MAX_ENDPOINTS:
            raise Problem(422, "validation_error", f"At most {MAX_ENDPOINTS} webhooks per account.")
        # Starts after the last event already stored: a new endpoint gets what happens next.
        last = conn.execute(
            "SELECT COALESCE(MAX(id), 0) FROM webhook_events WHERE account_id = ?", (account,)
        ).fetchone()[0]
        cur = conn.execute(
            "INSERT INTO webhooks (account_id, url, events, secret, created_at, cursor)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (account, body.url, json.dumps(sorted(set(body.events))), secret, now_iso(), last),
        )
        row = conn.execute("SELECT * FROM webhooks WHERE id = ?", (cur.lastrowid,)).fetchone()
    return {**_out(row), "secret": secret}


def webhook_list(db: Database, *, account: int) -> dict[str, Any]:
    rows = db.conn().execute(
        "SELECT * FROM webhooks WHERE account_id = ? AND deleted_at IS NULL ORDER BY id",
        (account,),
    )
    return {"data": [_out(r) for r in rows], "next_cursor": None}


def webhook_delete(db: Database, *, account: int, webhook_pid: str) -> None:
    pk = internal_id("webhook", webhook_pid)
    with db.write() as conn:
        changed = conn.execute(
            "UPDATE webhooks SET deleted_at = ? WHERE id = ? AND account_id = ?"
            " AND deleted_at IS NULL",
            (now_iso(), pk or 0, account),
        ).rowcount
    if not changed:
        raise Problem(404, "not_found", f"Webhook {webhook_pid!r} not found.")


# --- Faults -----------------------------------------------------------------------------------


def faults_set(db: Database, *, account: int, faults: WebhookFaults | None) -> None:
    with db.write() as conn:
        conn.execute("DELETE FROM webhook_faults WHERE account_id = ?", (account,))
        if faults is not None:
            conn.execute(
                "INSERT INTO webhook_faults (account_id, config) VALUES (?, ?)",
                (account, faults.model_dump_json()),
            )


# --- Delivery ---------------------------------------------------------------------------------


def _allowed(url: str) -> bool:
    """The emulator (a loopback demo, also fed made-up URLs by property tests) only delivers
    to loopback addresses, unless ``ESCARCELLE_SIM_WEBHOOK_ANY_HOST=1``."""
    if os.environ.get("ESCARCELLE_SIM_WEBHOOK_ANY_HOST") == "1":
        return True
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_S, float(2 ** max(0, attempts - 1)))


class Dispatcher:
    """Delivers due events, one endpoint at a time in order, several endpoints in parallel."""

    def __init__(self, db: Database, *, workers: int = 4) -> None:
        self.db = db
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._busy: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatch", daemon=True)
        self._http = httpx.Client(timeout=DELIVERY_TIMEOUT_S, trust_env=False)
        self._rngs: dict[int, tuple[str, random.Random]] = {}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for webhook_id in self._due():
                    with self._lock:
                        if webhook_id in self._busy:
                            continue
                        self._busy.add(webhook_id)
                    self._pool.submit(self._run, webhook_id)
            except Exception:  # the loop must outlive any one failure
                log.exception("webhook dispatch")
            self._stop.wait(POLL_S)

    def _due(self) -> list[int]:
        rows = self.db.conn().execute(
            "SELECT w.id FROM webhooks w WHERE w.deleted_at IS NULL"
            " AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= ?)"
            " AND EXISTS (SELECT 1 FROM webhook_events e"
            "  WHERE e.account_id = w.account_id AND e.id > w.cursor)",
            (now_iso(),),
        )
        return [r[0] for r in rows]

    def _run(self, webhook_id: int) -> None:
        try:
            while not self._stop.is_set() and self.deliver_next(webhook_id):
                pass
        except Exception:
            log.exception("webhook %s", webhook_id)
        finally:
            with self._lock:
                self._busy.discard(webhook_id)

    def _rng(self, account: int, config: str) -> random.Random:
        known = self._rngs.get(account)
        if known is None or known[0] != config:
            known = (config, random.Random(json.loads(config).get("seed", 42)))  # noqa: S311
            self._rngs[account] = known
        return known[1]

    def deliver_next(self, webhook_id: int) -> bool:
        """Deliver the endpoint's next event; True when it may go on at once."""
        conn = self.db.conn()
        hook = conn.execute("SELECT * FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
        if hook is None or hook["deleted_at"] is not None:
            return False
        if hook["next_attempt_at"] and hook["next_attempt_at"] > now_iso():
            return False
        fault_row = conn.execute(
            "SELECT config FROM webhook_faults WHERE account_id = ?", (hook["account_id"],)
        ).fetchone()
        faults = WebhookFaults.model_validate_json(fault_row[0]) if fault_row else None
        rng = self._rng(hook["account_id"], fault_row[0]) if fault_row else None
        if faults and faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        events = conn.execute(
            "SELECT * FROM webhook_events WHERE account_id = ? AND id > ? ORDER BY id LIMIT 2",
            (hook["account_id"], hook["cursor"]),
        ).fetchall()
        if not events:
            return False
        event = events[0]
        if event["type"] not in json.loads(hook["events"]):
            self._advance(hook, event, attempts=0, status=None, error=None, record=False)
            return True
        if faults and rng and len(events) > 1 and rng.random() < faults.reorder_rate:
            later = events[1]
            if later["type"] in json.loads(hook["events"]):
                self._send(hook, later)  # out of order; sent again in its turn
        status: int | None
        error: str | None
        if faults and rng and rng.random() < faults.error_rate:
            status, error = None, "fault: not sent"
        else:
            status, error = self._send(hook, event)
        attempts = hook["attempts"] + 1
        if status is not None and 200 <= status < 300:
            if faults and rng and rng.random() < faults.duplicate_rate:
                self._send(hook, event)
            self._advance(hook, event, attempts=attempts, status=status, error=None)
            return True
        created = datetime.fromisoformat(event["created_at"])
        if now() - created > GIVE_UP_AFTER:
            self._advance(hook, event, attempts=attempts, status=status, error=error, failed=True)
            return True
        self._retry_later(hook, event, attempts=attempts, status=status, error=error)
        return False

    def _send(self, hook: sqlite3.Row, event: sqlite3.Row) -> tuple[int | None, str | None]:
        if not _allowed(hook["url"]):
            return None, "host refused: the emulator delivers to loopback only"
        body = event_body(event)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Escarcelle-Webhooks",
            HEADER_ID: public_id("event", event["id"]),
            HEADER_TIMESTAMP: str(timestamp),
            HEADER_SIGNATURE: sign(hook["secret"], timestamp, body),
        }
        try:
            response = self._http.post(hook["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return response.status_code, None if response.is_success else response.text[:200]

    def _log(
        self,
        conn: sqlite3.Connection,
        hook: sqlite3.Row,
        event: sqlite3.Row,
        *,
        attempts: int,
        status: int | None,
        error: str | None,
        outcome: str,
    ) -> None:
        conn.execute(
            "INSERT INTO webhook_attempts (webhook_id, event_id, seq, attempt, status, error,"
            " outcome, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (hook["id"], event["id"], event["seq"], attempts, status, error, outcome, now_iso()),
        )

    def _advance(
        self,
        hook: sqlite3.Row,
        event: sqlite3.Row,
        *,
        attempts: int,
        status: int | None,
        error: str | None,
        failed: bool = False,
        record: bool = True,
    ) -> None:
        with self.db.write() as conn:
            if record:
                outcome = "failed" if failed else "delivered"
                self._log(
                    conn,
                    hook,
                    event,
                    attempts=attempts,
                    status=status,
                    error=error,
                    outcome=outcome,
                )
            conn.execute(
                "UPDATE webhooks SET cursor = ?, attempts = 0, next_attempt_at = NULL"
                " WHERE id = ? AND cursor = ?",
                (event["id"], hook["id"], hook["cursor"]),
            )

    def _retry_later(
        self,
        hook: sqlite3.Row,
        event: sqlite3.Row,
        *,
        attempts: int,
        status: int | None,
        error: str | None,
    ) -> None:
        delay = _backoff(attempts)
        with self.db.write() as conn:
            self._log(
                conn, hook, event, attempts=attempts, status=status, error=error, outcome="retry"
            )
            conn.execute(
                "UPDATE webhooks SET attempts = ?, next_attempt_at = ? WHERE id = ?",
                (attempts, iso(now() + timedelta(seconds=delay)), hook["id"]),
            )


def attempts_recent(db: Database, *, account: int, limit: int = 50) -> list[sqlite3.Row]:
    return (
        db.conn()
        .execute(
            "SELECT a.*, w.url FROM webhook_attempts a JOIN webhooks w ON w.id = a.webhook_id"
            " WHERE w.account_id = ? ORDER BY a.id DESC LIMIT ?",
            (account, limit),
        )
        .fetchall()
    )
