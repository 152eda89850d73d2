from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from escarcelle_sim.cli import main

from .helpers import key, sale_body


def _statuses(account, count):
    with account.client() as client:
        return [client.get("/account").status_code for _ in range(count)]


def test_the_error_rate_is_seeded_and_roughly_respected(escarcelle):
    escarcelle.set_faults(error_rate=0.5, seed=7)
    first = _statuses(escarcelle, 40)
    escarcelle.set_faults(error_rate=0.5, seed=7)
    second = _statuses(escarcelle, 40)
    assert first == second
    assert set(first) == {200, 500, 503}
    assert 10 <= sum(s != 200 for s in first) <= 30


def test_faults_of_one_account_leave_the_others_alone(make_escarcelle_account):
    broken, healthy = make_escarcelle_account(), make_escarcelle_account()
    broken.set_faults(error_rate=1.0)
    assert set(_statuses(broken, 5)) <= {500, 503}
    assert _statuses(healthy, 5) == [200] * 5


def test_latency_is_added(escarcelle):
    escarcelle.set_faults(latency_ms=300)
    started = time.monotonic()
    assert _statuses(escarcelle, 1) == [200]
    assert time.monotonic() - started >= 0.3


def test_a_hang_outlasts_the_client_timeout(escarcelle):
    escarcelle.set_faults(hang_s=1.5)
    with escarcelle.client(timeout=0.3) as client, pytest.raises(httpx.TimeoutException):
        client.get("/account")


def test_a_sale_that_hung_past_the_timeout_is_recorded_and_its_retry_replays(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    sequence = escarcelle.sequence()
    escarcelle.set_faults(hang_s=1.0, paths=["/api/v1/sales"])
    body, idem = sale_body(product), key()
    with escarcelle.client(timeout=0.2) as client, pytest.raises(httpx.TimeoutException):
        client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    deadline = time.monotonic() + 15
    while escarcelle.sequence() == sequence:  # /stock/changes does not hang
        assert time.monotonic() < deadline, "the hung sale was never recorded"
        time.sleep(0.05)
    escarcelle.clear_faults()
    with escarcelle.client() as client:
        retry = client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert len(escarcelle.sales()) == 1


def test_a_reset_before_commit_records_nothing(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    sequence = escarcelle.sequence()
    escarcelle.set_faults(reset_before_commit_rate=1.0, paths=["/api/v1/sales*"])
    body, idem = sale_body(product), key()
    with escarcelle.client() as client, pytest.raises(httpx.RemoteProtocolError):
        client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    escarcelle.clear_faults()
    assert escarcelle.sales() == [] and escarcelle.sequence() == sequence
    with escarcelle.client() as client:
        retry = client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers


def test_a_reset_after_commit_records_the_sale_and_the_retry_replays(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    escarcelle.set_faults(reset_after_commit_rate=1.0, paths=["/api/v1/sales*"])
    body, idem = sale_body(product), key()
    with escarcelle.client() as client, pytest.raises(httpx.RemoteProtocolError):
        client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    escarcelle.clear_faults()
    recorded = escarcelle.sales()
    assert len(recorded) == 1
    with escarcelle.client() as client:
        retry = client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == recorded[0]


def test_a_malformed_body_keeps_its_success_status(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    escarcelle.set_faults(malformed_rate=1.0)
    with escarcelle.client() as client:
        response = client.get("/products")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_an_outage_answers_503_with_retry_after_until_it_ends(escarcelle):
    escarcelle.set_faults(outage_s=1.0)
    with escarcelle.client() as client:
        down = client.get("/account")
        assert down.status_code == 503 and down.json()["code"] == "unavailable"
        assert int(down.headers["Retry-After"]) >= 1
        time.sleep(1.1)
        assert client.get("/account").status_code == 200
    until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    escarcelle.set_faults(outage_until=until)
    assert _statuses(escarcelle, 1) == [503]


def test_a_paths_filter_limits_the_faults(escarcelle):
    escarcelle.set_faults(error_rate=1.0, paths=["/api/v1/sales*"])
    assert _statuses(escarcelle, 3) == [200] * 3
    with escarcelle.client() as client:
        assert client.get("/sales").status_code in (500, 503)


def test_global_faults_hit_every_account_but_not_the_admin_the_page_or_the_probe(
    make_escarcelle_account, escarcelle_server
):
    first, second = make_escarcelle_account(), make_escarcelle_account()
    with escarcelle_server.admin() as admin:
        admin.put("/faults", json={"error_rate": 1.0}).raise_for_status()
        try:
            assert set(_statuses(first, 3) + _statuses(second, 3)) <= {500, 503}
            with httpx.Client(base_url=first.base_url, trust_env=False) as anonymous:
                assert anonymous.get("/api/v1/account").status_code in (500, 503)
                assert anonymous.get("/healthz").status_code == 200
                assert anonymous.get(f"/ui/accounts/{first.account_id}").status_code == 200
            assert admin.get("/accounts").status_code == 200
        finally:
            admin.delete("/faults").raise_for_status()
    assert _statuses(first, 2) == _statuses(second, 2) == [200, 200]


def test_the_cli_sets_and_clears_faults_under_a_running_server(
    make_escarcelle_account, escarcelle_server
):
    broken, healthy = make_escarcelle_account(), make_escarcelle_account()
    db = ["--db", str(escarcelle_server.db_path)]
    main(["faults", *db, "--account", broken.account_id, "--error-rate", "1", "--seed", "3"])
    assert set(_statuses(broken, 3)) <= {500, 503} and _statuses(healthy, 3) == [200] * 3
    main(["faults", *db, "--account", broken.account_id, "--clear"])
    assert _statuses(broken, 2) == [200, 200]
    main(["faults", *db, "--account", "global", "--outage-s", "600"])
    try:
        with healthy.client() as client:
            down = client.get("/account")
        assert down.status_code == 503 and int(down.headers["Retry-After"]) > 500
    finally:
        main(["faults", *db, "--account", "global", "--clear"])
    assert _statuses(healthy, 1) == [200]


def test_a_malformed_answer_to_a_sale_hides_a_recorded_sale(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    escarcelle.set_faults(malformed_rate=1.0, paths=["/api/v1/sales"])
    body, idem = sale_body(product), key()
    with escarcelle.client() as client:
        garbled = client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    assert garbled.status_code == 201
    with pytest.raises(json.JSONDecodeError):
        json.loads(garbled.content)
    escarcelle.clear_faults()
    [recorded] = escarcelle.sales()
    with escarcelle.client() as client:
        retry = client.post("/sales", json=body, headers={"Idempotency-Key": idem})
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.json() == recorded


def test_faults_and_the_rest_of_the_admin_api_need_the_admin_token(escarcelle):
    url = f"{escarcelle.base_url}/admin/api"
    with httpx.Client(base_url=url, trust_env=False) as client:
        answers = [
            client.put("/faults", json={"error_rate": 1.0}),
            client.put("/faults", json={"error_rate": 1.0}, headers={"X-Admin-Token": "guess"}),
            client.put(
                f"/accounts/{escarcelle.account_id}/faults",
                json={"outage_s": 60},
                headers={"X-Admin-Token": escarcelle.api_key},  # an API key is not an admin token
            ),
            client.post(f"/accounts/{escarcelle.account_id}/keys/rotate"),
        ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(401, "unauthorized")] * 4
    assert _statuses(escarcelle, 3) == [200] * 3
