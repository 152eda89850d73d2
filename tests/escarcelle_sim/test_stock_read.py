"""`GET /stock?product_id=…`: the current figures of a few products, in one request."""

from __future__ import annotations

from decimal import Decimal


def _read(escarcelle, ids, **params):  # noqa: ANN001, ANN003, ANN202
    with escarcelle.client() as http:
        return http.get("/stock", params={"product_id": ids, **params})


def test_it_answers_the_current_quantities_of_the_products_asked_for(escarcelle):
    escarcelle.seed(products=4, beneficiaries=0)
    first, second, _, _ = [p["id"] for p in escarcelle.products()]
    escarcelle.sell_in_shop(first, Decimal("1"))
    answer = _read(escarcelle, [first, second])
    assert answer.status_code == 200
    body = answer.json()
    assert body["next_cursor"] is None
    assert body["sequence"] == escarcelle.sequence()
    stock = escarcelle.stock()
    assert {r["product_id"]: Decimal(r["quantity"]) for r in body["data"]} == {
        first: stock[first],
        second: stock[second],
    }
    assert max(r["sequence"] for r in body["data"]) == body["sequence"]


def test_unknown_and_other_accounts_products_are_left_out(escarcelle, make_escarcelle_account):
    escarcelle.seed(products=1, beneficiaries=0)
    other = make_escarcelle_account()
    other.seed(products=1, beneficiaries=0)
    (mine,) = [p["id"] for p in escarcelle.products()]
    (theirs,) = [p["id"] for p in other.products()]
    body = _read(escarcelle, [mine, theirs, "prd_999999999", "nonsense"]).json()
    assert [r["product_id"] for r in body["data"]] == [mine]


def test_it_refuses_more_than_500_ids_and_a_cursor_with_ids(escarcelle):
    escarcelle.seed(products=1, beneficiaries=0)
    too_many = _read(escarcelle, [f"prd_{i}" for i in range(1, 502)])
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "validation_error"
    assert _read(escarcelle, [f"prd_{i}" for i in range(1, 501)]).status_code == 200
    with_cursor = _read(escarcelle, ["prd_1"], cursor="abc")
    assert with_cursor.status_code == 422


def test_without_ids_the_full_snapshot_is_unchanged(escarcelle):
    escarcelle.seed(products=3, beneficiaries=0)
    with escarcelle.client() as http:
        body = http.get("/stock", params={"limit": 2}).json()
    assert len(body["data"]) == 2
    assert body["next_cursor"] is not None
