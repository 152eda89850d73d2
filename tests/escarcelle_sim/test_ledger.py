from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from .helpers import key, sale_body


def test_stock_after_concurrent_sales_is_start_minus_sold(escarcelle):
    escarcelle.seed(products=2, beneficiaries=0)
    product, kg_or_other = [p["id"] for p in escarcelle.products()]
    start, sequence = escarcelle.stock(), escarcelle.sequence()

    def sell(i: int) -> int:
        lines = [
            {"product_id": product, "quantity": "1", "unit_price": "0.30", "shelf_price": "0.99"},
            {"product_id": kg_or_other, "quantity": "0.250", "unit_price": "0.50",
             "shelf_price": "1.65"},
        ]  # fmt: skip
        with escarcelle.client() as client:
            body = sale_body(product, lines=lines)
            return client.post("/sales", json=body, headers={"Idempotency-Key": key()}).json()[
                "sequence"
            ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        sequences = list(pool.map(sell, range(40)))
    assert len(set(sequences)) == 40
    end = escarcelle.stock()
    assert end[product] == start[product] - 40
    assert end[kg_or_other] == start[kg_or_other] - Decimal("10.000")
    assert escarcelle.sequence() == sequence + 80
    with escarcelle.client() as client:
        changes = client.get("/stock/changes", params={"since": sequence, "limit": 500}).json()
    seqs = [c["sequence"] for c in changes["data"]]
    assert seqs == list(range(sequence + 1, sequence + 81))


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
