from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import httpx

from escarcelle_sim.app import create_app

from .helpers import key, sale_body

PROBLEM = "application/problem+json"


def test_it_requires_a_key(escarcelle):
    with httpx.Client(base_url=f"{escarcelle.base_url}/api/v1", trust_env=False) as client:
        missing = client.get("/account")
        wrong = client.get("/account", headers={"Authorization": "Bearer esk_nope"})
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "unauthorized"


def test_a_key_sees_only_its_own_account(make_escarcelle_account):
    first, second = make_escarcelle_account(), make_escarcelle_account()
    first.seed(products=3, beneficiaries=2)
    second.seed(products=4, beneficiaries=1)
    with first.client() as client:
        assert client.get("/account").json() == {"id": first.account_id, "name": first.name}
        other_product = second.products()[0]["id"]
        assert client.get(f"/products/{other_product}").status_code == 404
        refused = client.post(
            "/sales", json=sale_body(other_product), headers={"Idempotency-Key": key()}
        )
        assert refused.json()["code"] == "unknown_product"
        own_product = first.products()[0]["id"]
        other_beneficiary = second.beneficiaries()[0]["id"]
        body = sale_body(own_product, beneficiary_id=other_beneficiary)
        refused = client.post("/sales", json=body, headers={"Idempotency-Key": key()})
        assert refused.json()["code"] == "unknown_beneficiary"
    with second.client() as client:
        body = sale_body(second.products()[0]["id"])
        other_sale = client.post("/sales", json=body, headers={"Idempotency-Key": key()}).json()
        second_changes = client.get("/stock/changes", params={"limit": 2}).json()
    with first.client() as client:
        assert client.get(f"/sales/{other_sale['id']}").status_code == 404
        assert client.get("/sales", params={"external_ref": body["external_ref"]}).json() == {
            "data": [],
            "next_cursor": None,
        }
        # A cursor made for the other account pages through this account only.
        followed = client.get("/stock/changes", params={"cursor": second_changes["next_cursor"]})
        assert {c["product_id"] for c in followed.json()["data"]} <= set(first.stock())
    assert len(first.products()) == 3 and len(second.products()) == 4
    assert len(first.beneficiaries()) == 2
    assert set(first.stock()).isdisjoint(second.stock())
    assert first.sales() == [] and [s["id"] for s in second.sales()] == [other_sale["id"]]


def test_revoked_and_rotated_keys_stop_working(escarcelle):
    old = escarcelle.api_key
    new = escarcelle.rotate_key()
    with httpx.Client(base_url=f"{escarcelle.base_url}/api/v1", trust_env=False) as client:
        assert client.get("/account", headers={"Authorization": f"Bearer {old}"}).status_code == 401
        assert client.get("/account", headers={"Authorization": f"Bearer {new}"}).status_code == 200
        escarcelle.revoke_key()
        assert client.get("/account", headers={"Authorization": f"Bearer {new}"}).status_code == 401


def test_lists_paginate_with_a_cursor_in_a_stable_order(escarcelle):
    escarcelle.seed(products=25, beneficiaries=0)
    ids = []
    with escarcelle.client() as client:
        page = client.get("/products", params={"limit": 10}).json()
        ids += [p["id"] for p in page["data"]]
        while page["next_cursor"]:
            page = client.get("/products", params={"limit": 10, "cursor": page["next_cursor"]})
            page = page.json()
            ids += [p["id"] for p in page["data"]]
        bad = client.get("/products", params={"cursor": "garbage"})
    assert len(ids) == 25 and len(set(ids)) == 25
    assert ids == [p["id"] for p in escarcelle.products()]
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"


def test_products_use_decimal_strings_and_valid_barcodes(escarcelle):
    escarcelle.seed(products=60, beneficiaries=10)
    products = escarcelle.products()
    for product in products:
        for field in ("price", "vat_rate", "unit_quantity"):
            assert isinstance(product[field], str)
            Decimal(product[field])
        barcode = product["barcode"]
        if barcode:
            digits = [int(d) for d in barcode]
            assert len(digits) == 13
            assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    assert {p["unit"] for p in products} >= {"piece", "kg"}
    assert {p["vat_rate"] for p in products} >= {"5.5", "20"}
    rates = {b["participation_rate"] for b in escarcelle.beneficiaries()}
    assert len(rates) > 1


def test_seeding_twice_continues_the_catalogue(escarcelle):
    escarcelle.seed(products=40, beneficiaries=0)
    escarcelle.seed(products=40, beneficiaries=0)
    products = escarcelle.products()
    assert len(products) == 80
    for field in ("name", "ref", "barcode"):
        values = [p[field] for p in products if p[field] is not None]
        assert len(values) == len(set(values)), field


def test_updated_since_returns_only_changed_products(escarcelle):
    escarcelle.seed(products=5, beneficiaries=0)
    first = escarcelle.products()[0]
    changed = escarcelle.update_product(first["id"], price="3.10", name="Pâtes « bio »")
    with escarcelle.client() as client:
        page = client.get("/products", params={"updated_since": changed["updated_at"]}).json()
    assert [p["id"] for p in page["data"]] == [first["id"]]
    assert page["data"][0]["price"] == "3.10"
    escarcelle.archive_product(first["id"])
    archived = [p for p in escarcelle.products() if p["id"] == first["id"]][0]
    assert archived["active"] is False


def test_stock_changes_follow_the_ledger(escarcelle):
    escarcelle.seed(products=3, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    start = escarcelle.sequence()
    escarcelle.sell_in_shop(product, "2")
    escarcelle.restock(product, "10.250")
    escarcelle.adjust(product, "4")
    with escarcelle.client() as client:
        page = client.get("/stock/changes", params={"since": start}).json()
    assert [c["reason"] for c in page["data"]] == ["in_shop_sale", "restock", "adjustment"]
    assert [c["sequence"] for c in page["data"]] == [start + 1, start + 2, start + 3]
    assert page["data"][-1]["quantity"] == "4.000"
    assert page["sequence"] == start + 3 and page["next_cursor"] is None
    assert escarcelle.stock()[product] == Decimal(4)


def test_a_stock_snapshot_stays_at_its_sequence_across_pages(escarcelle):
    escarcelle.seed(products=6, beneficiaries=0)
    products = [p["id"] for p in escarcelle.products()]
    before = escarcelle.stock()
    with escarcelle.client() as client:
        first = client.get("/stock", params={"limit": 3}).json()
        escarcelle.sell_in_shop(products[5], "1")  # moves after the snapshot
        second = client.get("/stock", params={"limit": 3, "cursor": first["next_cursor"]}).json()
    assert first["sequence"] == second["sequence"]
    assert Decimal(second["data"][-1]["quantity"]) == before[products[5]]
    assert escarcelle.stock()[products[5]] == before[products[5]] - 1


def test_bad_input_is_refused_and_moves_nothing(escarcelle):
    escarcelle.seed(products=2, beneficiaries=1)
    product, archived = [p["id"] for p in escarcelle.products()]
    escarcelle.archive_product(archived)
    sequence, stock = escarcelle.sequence(), escarcelle.stock()
    cases = [
        (sale_body(product, "0"), 422, "invalid_quantity"),
        (sale_body(product, "-3"), 422, "invalid_quantity"),
        (sale_body(product, "1.2345"), 422, "invalid_quantity"),
        (sale_body(product, "1e9"), 422, "invalid_quantity"),
        (sale_body(product, "NaN"), 422, "invalid_quantity"),
        (sale_body("prd_999999"), 422, "unknown_product"),
        (sale_body("nonsense"), 422, "unknown_product"),
        (sale_body(archived), 422, "product_archived"),
        (sale_body(product, beneficiary_id="ben_999999"), 422, "unknown_beneficiary"),
        (sale_body(product, lines=[]), 422, "validation_error"),
        ({**sale_body(product), "date": "2026-11-27T10:15:00"}, 422, "validation_error"),
    ]
    numeric = sale_body(product)
    numeric["lines"][0]["quantity"] = 1
    cases.append((numeric, 422, "validation_error"))
    misspelt = sale_body(product)
    misspelt["beneficiairy_id"] = misspelt.pop("beneficiary_id")
    cases.append((misspelt, 422, "validation_error"))
    extra_in_line = sale_body(product)
    extra_in_line["lines"][0]["discount"] = "0.10"
    cases.append((extra_in_line, 422, "validation_error"))
    with escarcelle.client() as client:
        for body, status, code in cases:
            response = client.post("/sales", json=body, headers={"Idempotency-Key": key()})
            assert (response.status_code, response.json()["code"]) == (status, code), body
            assert response.headers["content-type"] == PROBLEM
        headers = {"Idempotency-Key": key(), "Content-Type": "application/json"}
        malformed = client.post("/sales", content=b'{"external_ref": ', headers=headers)
        assert (malformed.status_code, malformed.json()["code"]) == (422, "validation_error")
        too_big = client.post("/sales", content=b" " * (1024 * 1024 + 1), headers=headers)
        assert (too_big.status_code, too_big.json()["code"]) == (413, "payload_too_large")
        text = client.post(
            "/sales",
            content=json.dumps(sale_body(product)).encode(),
            headers={"Idempotency-Key": key(), "Content-Type": "text/plain"},
        )
        assert (text.status_code, text.json()["code"]) == (415, "unsupported_media_type")
        no_key = client.post("/sales", json=sale_body(product))
        assert (no_key.status_code, no_key.json()["code"]) == (422, "validation_error")
    assert escarcelle.sequence() == sequence
    assert escarcelle.stock() == stock
    assert escarcelle.sales() == []


def test_a_bad_batch_is_refused_whole_and_moves_nothing(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    sequence = escarcelle.sequence()
    good = {"idempotency_key": key(), **sale_body(product)}
    json_headers = {"Content-Type": "application/json"}
    with escarcelle.client() as client:
        answers = [
            client.post("/sales/batch", content=b'{"sales": [', headers=json_headers),
            client.post("/sales/batch", content=b"[" * (1024 * 1024 + 1), headers=json_headers),
            client.post(
                "/sales/batch",
                content=json.dumps({"sales": [good]}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            client.post("/sales/batch", json={"sales": []}),
            client.post("/sales/batch", json={"sales": [good, {**good, "lines": "x"}]}),
            client.post("/sales/batch", json={"sales": [good], "dry_run": True}),
        ]
    codes = [(a.status_code, a.json()["code"]) for a in answers]
    assert codes == [
        (422, "validation_error"),
        (413, "payload_too_large"),
        (415, "unsupported_media_type"),
        (422, "validation_error"),
        (422, "validation_error"),
        (422, "validation_error"),
    ]
    assert all(a.headers["content-type"] == PROBLEM for a in answers)
    assert escarcelle.sequence() == sequence and escarcelle.sales() == []


def test_odd_numbers_and_dates_out_of_range_are_refused_not_crashed_on(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    sequence = escarcelle.sequence()
    far = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
    odd_price = sale_body(product)
    odd_price["lines"][0]["unit_price"] = "\u0661.\u0665"  # Arabic-Indic "1.5"
    cases = [
        *[
            (sale_body(product, q), "invalid_quantity")
            for q in (" 1 ", "1_0", "+1", "1e2", "\uff11")
        ],
        *[({**sale_body(product), "date": d}, "validation_error") for d in far],
        (odd_price, "validation_error"),
    ]
    with escarcelle.client() as client:
        for body, code in cases:
            response = client.post("/sales", json=body, headers={"Idempotency-Key": key()})
            assert (response.status_code, response.json()["code"]) == (422, code), body
        batch = client.post(
            "/sales/batch", json={"sales": [{"idempotency_key": key(), **cases[5][0]}]}
        )
        assert (batch.status_code, batch.json()["code"]) == (422, "validation_error")
        for path in ("/products", "/beneficiaries", "/sales"):
            listed = client.get(path, params={"updated_since": far[0]})
            assert (listed.status_code, listed.json()["code"]) == (422, "validation_error")
    assert escarcelle.sequence() == sequence and escarcelle.sales() == []


def test_a_refused_sale_does_not_consume_its_key(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    idem = key()
    with escarcelle.client() as client:
        refused = client.post(
            "/sales", json=sale_body(product, "0"), headers={"Idempotency-Key": idem}
        )
        accepted = client.post("/sales", json=sale_body(product), headers={"Idempotency-Key": idem})
    assert refused.status_code == 422 and accepted.status_code == 201


def test_the_rate_limit_answers_429_with_retry_after(escarcelle):
    escarcelle.set_rate_limit(5)
    with escarcelle.client() as client:
        statuses = [client.get("/account") for _ in range(7)]
    assert [r.status_code for r in statuses[:5]] == [200] * 5
    limited = statuses[-1]
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


def test_data_survives_a_restart(escarcelle, escarcelle_server):
    escarcelle.seed(products=3, beneficiaries=1)
    product = escarcelle.products()[0]["id"]
    with escarcelle.client() as client:
        sale = client.post("/sales", json=sale_body(product), headers={"Idempotency-Key": key()})
    stock, sequence = escarcelle.stock(), escarcelle.sequence()
    escarcelle_server.restart()
    assert escarcelle.stock() == stock and escarcelle.sequence() == sequence
    assert [s["id"] for s in escarcelle.sales()] == [sale.json()["id"]]


def test_the_committed_openapi_matches_the_app(tmp_path):
    served = create_app(str(tmp_path / "x.sqlite3")).openapi()
    committed = Path(__file__).parents[2] / "docs" / "escarcelle-openapi.json"
    # Regenerate with: .venv/bin/escarcelle-sim openapi > docs/escarcelle-openapi.json
    assert json.loads(committed.read_text()) == json.loads(json.dumps(served))
