from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from .helpers import key, sale_body

# The shop's till: another process writing to the same SQLite file, as `escarcelle-sim sell` does.
TILL = """
import os, sys, time
from escarcelle_sim.cli import main
db, account, product, gate, count = sys.argv[1:]
open(gate + ".ready", "w").close()
while not os.path.exists(gate):
    time.sleep(0.005)
for _ in range(int(count)):
    main(["sell", "--db", db, "--account", account, "--product", product, "--quantity", "1"])
"""


def test_stock_after_concurrent_sales_is_start_minus_sold(escarcelle, escarcelle_server, tmp_path):
    escarcelle.seed(products=2, beneficiaries=0)
    product, kg_or_other = [p["id"] for p in escarcelle.products()]
    start, sequence = escarcelle.stock(), escarcelle.sequence()
    # Spent while each sale holds its key, outside the write lock: the sales overlap.
    escarcelle.set_faults(latency_ms=30, paths=["/api/v1/sales"])
    gate = tmp_path / "open"
    till = subprocess.Popen(
        [sys.executable, "-c", TILL, str(escarcelle_server.db_path), escarcelle.account_id,
         product, str(gate), "20"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not gate.with_suffix(".ready").exists() and till.poll() is None:
        assert time.monotonic() < deadline, "the till never started"
        time.sleep(0.01)
    together = threading.Barrier(8)

    def sell(i: int) -> int:
        lines = [
            {"product_id": product, "quantity": "1", "unit_price": "0.30", "shelf_price": "0.99"},
            {"product_id": kg_or_other, "quantity": "0.250", "unit_price": "0.50",
             "shelf_price": "1.65"},
        ]  # fmt: skip
        if i < 8:
            together.wait(timeout=30)  # the first eight leave at once
        with escarcelle.client() as client:
            body = sale_body(product, lines=lines)
            response = client.post("/sales", json=body, headers={"Idempotency-Key": key()})
            return response.json()["sequence"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(sell, i) for i in range(40)]
        gate.touch()
        sequences = [f.result() for f in futures]
    assert till.wait(timeout=60) == 0
    assert len(set(sequences)) == 40
    end = escarcelle.stock()
    assert end[product] == start[product] - 40 - 20
    assert end[kg_or_other] == start[kg_or_other] - Decimal("10.000")
    assert escarcelle.sequence() == sequence + 100
    with escarcelle.client() as client:
        changes = client.get("/stock/changes", params={"since": sequence, "limit": 500}).json()
    assert [c["sequence"] for c in changes["data"]] == list(range(sequence + 1, sequence + 101))
    reasons = [c["reason"] for c in changes["data"]]
    assert reasons.count("sale") == 80 and reasons.count("in_shop_sale") == 20
    # Each movement's quantity follows from the one before: no write was lost or reordered.
    running = {product: start[product], kg_or_other: start[kg_or_other]}
    for change in changes["data"]:
        running[change["product_id"]] += Decimal(change["delta"])
        assert Decimal(change["quantity"]) == running[change["product_id"]]


def test_stock_may_go_negative(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    escarcelle.adjust(product, "1")
    with escarcelle.client() as client:
        sale = client.post(
            "/sales", json=sale_body(product, "3"), headers={"Idempotency-Key": key()}
        )
    assert sale.status_code == 201
    assert escarcelle.stock()[product] == Decimal(-2)


def test_the_sequence_only_grows(escarcelle):
    escarcelle.seed(products=2, beneficiaries=0)
    product = escarcelle.products()[0]["id"]
    seen = [escarcelle.sequence()]
    for step in range(5):
        escarcelle.sell_in_shop(product, "1")
        with escarcelle.client() as client:
            client.post("/sales", json=sale_body(product), headers={"Idempotency-Key": key()})
            client.post("/sales", json=sale_body("prd_0"), headers={"Idempotency-Key": key()})
        escarcelle.restock(product, str(step + 1))
        seen.append(escarcelle.sequence())
    assert seen == sorted(set(seen))


def test_ten_thousand_products_seed_and_list_in_pages_of_500(escarcelle):
    escarcelle.seed(products=10_000, beneficiaries=100)
    products = escarcelle.products()
    assert len(products) == 10_000
    assert len({p["id"] for p in products}) == 10_000
    assert len(escarcelle.stock()) == 10_000
