"""How long Idempotency-Keys live: 7 days, and not a second more than their request."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import httpx
import pytest

from escarcelle_sim.db import iso, now

from .helpers import key, sale_body, wait_for_claim


def _post(account, body, idem, **kwargs):
    with account.client(**kwargs) as client:
        return client.post("/sales", json=body, headers={"Idempotency-Key": idem})


def _backdate(server, idem: str, age: timedelta) -> None:
    with sqlite3.connect(server.db_path) as conn:
        conn.execute(
            "UPDATE idempotency_keys SET created_at = ? WHERE key = ?", (iso(now() - age), idem)
        )


def test_keys_are_kept_seven_days_then_purged(escarcelle, escarcelle_server):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    old, recent = (key(), sale_body(product)), (key(), sale_body(product))
    for idem, body in (old, recent):
        assert _post(escarcelle, body, idem).status_code == 201
    _backdate(escarcelle_server, old[0], timedelta(days=7, hours=1))
    _backdate(escarcelle_server, recent[0], timedelta(days=6, hours=23))
    assert _post(escarcelle, sale_body(product), key()).status_code == 201  # any write purges

    kept = _post(escarcelle, recent[1], recent[0])
    assert kept.status_code == 201 and kept.headers["Idempotent-Replayed"] == "true"
    purged = _post(escarcelle, old[1], old[0])
    assert purged.status_code == 201 and "Idempotent-Replayed" not in purged.headers
    assert len(escarcelle.sales()) == 4  # the purged key recorded its sale again


def test_a_key_held_by_a_crashed_server_is_free_after_the_restart(escarcelle, escarcelle_server):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    sequence = escarcelle.sequence()
    escarcelle.set_faults(latency_ms=120_000, paths=["/api/v1/sales"])  # held until the crash
    body, idem = sale_body(product), key()
    with pytest.raises(httpx.TimeoutException):
        _post(escarcelle, body, idem, timeout=0.5)
    wait_for_claim(escarcelle_server.db_path, idem)
    escarcelle_server.kill()
    escarcelle_server.start()
    escarcelle.clear_faults()
    assert escarcelle.sales() == [] and escarcelle.sequence() == sequence
    retry = _post(escarcelle, body, idem)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert len(escarcelle.sales()) == 1
