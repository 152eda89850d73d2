from __future__ import annotations

import threading

from .helpers import key, sale_body, wait_for_claim


def _post(account, body, idem, **kwargs):
    with account.client(**kwargs) as client:
        return client.post("/sales", json=body, headers={"Idempotency-Key": idem})


def test_a_replay_returns_the_stored_answer_and_changes_nothing(escarcelle):
    escarcelle.seed(products=2, beneficiaries=1)
    product = escarcelle.products()[0]["id"]
    beneficiary = escarcelle.beneficiaries()[0]["id"]
    body, idem = sale_body(product, "1.500", beneficiary_id=beneficiary), key()
    first = _post(escarcelle, body, idem)
    stock, sequence = escarcelle.stock(), escarcelle.sequence()
    again = _post(escarcelle, body, idem)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["sequence"] == sequence
    assert escarcelle.stock() == stock and escarcelle.sequence() == sequence
    assert len(escarcelle.sales()) == 1


def test_the_same_key_with_another_body_is_refused(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    idem = key()
    body = sale_body(product, "1")
    assert _post(escarcelle, body, idem).status_code == 201
    sequence = escarcelle.sequence()
    changed = _post(escarcelle, {**body, "lines": sale_body(product, "2")["lines"]}, idem)
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"
    assert escarcelle.sequence() == sequence


def test_keys_belong_to_one_account(make_escarcelle_account):
    first, second = make_escarcelle_account(), make_escarcelle_account()
    first.seed(products=1, beneficiaries=0)
    second.seed(products=1, beneficiaries=0)
    idem = key()
    a = _post(first, sale_body(first.products()[0]["id"]), idem)
    b = _post(second, sale_body(second.products()[0]["id"]), idem)
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers


def test_a_concurrent_duplicate_gets_409(escarcelle, escarcelle_server):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    escarcelle.set_faults(latency_ms=1500, paths=["/api/v1/sales"])
    body, idem = sale_body(product), key()
    results = {}
    worker = threading.Thread(target=lambda: results.update(first=_post(escarcelle, body, idem)))
    worker.start()
    wait_for_claim(escarcelle_server.db_path, idem)
    duplicate = _post(escarcelle, body, idem)
    worker.join()
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "idempotency_key_in_use"
    assert results["first"].status_code == 201
    escarcelle.clear_faults()
    assert _post(escarcelle, body, idem).headers["Idempotent-Replayed"] == "true"
    assert len(escarcelle.sales()) == 1


def test_a_batch_gives_one_independent_result_per_sale(escarcelle):
    escarcelle.seed(products=3, beneficiaries=0)
    good, other, archived = [p["id"] for p in escarcelle.products()]
    escarcelle.archive_product(archived)
    single_key = key()
    assert _post(escarcelle, sale_body(other), single_key).status_code == 201
    sales = [
        {"idempotency_key": key(), **sale_body(good, "2")},
        {"idempotency_key": key(), **sale_body("prd_999999")},
        {"idempotency_key": key(), **sale_body(archived)},
        {"idempotency_key": single_key, **sale_body(other)},
        {"idempotency_key": single_key, **sale_body(good, "5")},
    ]
    sales[3]["external_ref"] = escarcelle.sales()[0]["external_ref"]  # same body as the single
    stock = escarcelle.stock()
    with escarcelle.client() as client:
        response = client.post("/sales/batch", json={"sales": sales})
        repeat = client.post("/sales/batch", json={"sales": sales[:1]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 422, 201, 422]
    assert [r["replayed"] for r in results] == [False, False, False, True, False]
    assert [r["problem"]["code"] for r in results if r["problem"]] == [
        "unknown_product",
        "product_archived",
        "idempotency_key_reused",
    ]
    assert repeat.json()["results"][0]["replayed"] is True
    assert repeat.json()["results"][0]["sale"] == results[0]["sale"]
    after = escarcelle.stock()
    assert after[good] == stock[good] - 2 and after[other] == stock[other]
    assert len(escarcelle.sales()) == 2
