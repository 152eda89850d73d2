"""Webhooks of the emulator, over real HTTP: registered, delivered in order, signed, retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest


class Receiver:
    """A loopback endpoint that records what it gets and answers ``status`` (changeable)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.received]

    def wait(self, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if until(self.events()):
                return
            time.sleep(0.05)
        pytest.fail(f"not received in time; got {self.events()}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def register(account, url: str, events=("stock.changed",)) -> dict:  # noqa: ANN001
    with account.client() as http:
        answer = http.post("/webhooks", json={"url": url, "events": list(events)})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_webhook_is_registered_listed_without_its_secret_and_deleted(escarcelle):
    created = register(escarcelle, "http://127.0.0.1:9/hook")
    assert created["secret"].startswith("whsec_")
    with escarcelle.client() as http:
        listed = http.get("/webhooks").json()["data"]
        assert [w["id"] for w in listed] == [created["id"]]
        assert "secret" not in listed[0]
        assert http.delete(f"/webhooks/{created['id']}").status_code == 204
        assert http.delete(f"/webhooks/{created['id']}").status_code == 404
        assert http.get("/webhooks").json()["data"] == []


def test_a_bad_registration_is_refused(escarcelle, make_escarcelle_account):
    with escarcelle.client() as http:
        for body in (
            {"url": "ftp://x.example/hook", "events": ["stock.changed"]},
            {"url": "http://127.0.0.1/hook", "events": ["stock.exploded"]},
            {"url": "http://127.0.0.1/hook", "events": []},
            {"url": "http://127.0.0.1/hook", "events": ["stock.changed"], "extra": 1},
        ):
            answer = http.post("/webhooks", json=body)
            assert answer.status_code == 422, body
    other = make_escarcelle_account()
    created = register(other, "http://127.0.0.1:9/hook")
    with escarcelle.client() as http:
        assert http.delete(f"/webhooks/{created['id']}").status_code == 404


def test_stock_movements_are_delivered_in_order_signed_with_their_sequence(escarcelle, receiver):
    escarcelle.seed(products=2, beneficiaries=0)
    first, second = [p["id"] for p in escarcelle.products()]
    secret = register(escarcelle, receiver.url)["secret"]
    sold = [escarcelle.sell_in_shop(pid, "1") for pid in (first, second, first)]
    receiver.wait(lambda events: len(events) >= 3)
    events = receiver.events()
    assert [e["sequence"] for e in events] == [m["sequence"] for m in sold]
    assert [e["type"] for e in events] == ["stock.changed"] * 3
    assert events[0]["data"] == {
        "product_id": first,
        "quantity": sold[0]["quantity"],
        "delta": "-1.000",
        "reason": "in_shop_sale",
    }
    for raw in receiver.received:
        headers = {k.lower(): v for k, v in raw["headers"].items()}
        timestamp = headers["escarcelle-webhook-timestamp"]
        expected = hmac.new(
            secret.encode(), f"{timestamp}.".encode() + raw["body"], hashlib.sha256
        ).hexdigest()
        assert headers["escarcelle-webhook-signature"] == f"v1={expected}"
        assert abs(int(timestamp) - time.time()) < 60
        assert headers["escarcelle-webhook-id"].startswith("evt_")


def test_product_events_are_delivered_to_those_who_asked(escarcelle, receiver):
    escarcelle.seed(products=1, beneficiaries=0)
    (pid,) = [p["id"] for p in escarcelle.products()]
    register(escarcelle, receiver.url, events=["product.updated", "product.archived"])
    escarcelle.sell_in_shop(pid, "1")  # not asked for
    escarcelle.update_product(pid, name="Riz long")
    escarcelle.archive_product(pid)
    receiver.wait(lambda events: len(events) >= 2)
    time.sleep(0.3)
    events = receiver.events()
    assert [e["type"] for e in events] == ["product.updated", "product.archived"]
    assert events[0]["data"]["name"] == "Riz long"
    assert events[1]["data"]["active"] is False


def test_a_failing_endpoint_is_retried_with_back_off_and_shown_on_the_page(escarcelle, receiver):
    escarcelle.seed(products=1, beneficiaries=0)
    (pid,) = [p["id"] for p in escarcelle.products()]
    register(escarcelle, receiver.url)
    receiver.status = 500
    moved = escarcelle.sell_in_shop(pid, "1")
    receiver.wait(lambda events: len(events) >= 2, timeout=10)  # 1st try, retry after 1 s
    receiver.status = 204
    receiver.wait(lambda events: len(events) >= 3, timeout=10)  # retry after 2 s
    assert {e["sequence"] for e in receiver.events()} == {moved["sequence"]}
    page = httpx.get(f"{escarcelle.base_url}/ui/accounts/{escarcelle.account_id}").text
    assert "retry" in page
    assert "delivered" in page


def test_faults_errors_duplicates_and_out_of_order(escarcelle, receiver):
    escarcelle.seed(products=1, beneficiaries=0)
    (pid,) = [p["id"] for p in escarcelle.products()]
    register(escarcelle, receiver.url)
    # The delay lets the next events pile up, so that one can overtake another.
    escarcelle.set_webhook_faults(duplicate_rate=1.0, reorder_rate=1.0, latency_ms=300)
    moved = [escarcelle.sell_in_shop(pid, "1")["sequence"] for _ in range(3)]
    receiver.wait(lambda events: {e["sequence"] for e in events} >= set(moved))
    sequences = [e["sequence"] for e in receiver.events()]
    assert len(sequences) > len(set(sequences))  # duplicates
    assert sequences != sorted(sequences)  # out of order
    escarcelle.set_webhook_faults(error_rate=1.0)
    time.sleep(1.0)  # the deliveries in flight end
    before = len(receiver.received)
    escarcelle.sell_in_shop(pid, "1")
    time.sleep(1.5)
    assert len(receiver.received) == before  # not sent: counted as failed attempts
    escarcelle.clear_webhook_faults()
    receiver.wait(lambda events: len(events) > before, timeout=10)


def test_an_account_without_webhooks_stores_no_events(escarcelle, escarcelle_server):
    import sqlite3

    escarcelle.seed(products=1, beneficiaries=0)
    with sqlite3.connect(escarcelle_server.db_path) as conn:
        count = conn.execute(
            "SELECT COUNT(*) FROM webhook_events WHERE account_id = ?",
            (int(escarcelle.account_id.removeprefix("acc_")),),
        ).fetchone()[0]
    assert count == 0
