"""The read-only page per account that people watching the demo look at."""

from __future__ import annotations

import re
from html import unescape

import httpx

from .helpers import key, sale_body


def _page(account) -> str:
    with httpx.Client(trust_env=False) as client:
        response = client.get(f"{account.base_url}/ui/accounts/{account.account_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _cells(html: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell`, unescaped."""
    row = re.search(rf"<tr[^>]*><td>{re.escape(first_cell)}</td>(.*?)</tr>", html)
    assert row, f"no row for {first_cell}"
    return [first_cell, *(unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1]))]


def test_the_page_lists_products_with_their_stock(escarcelle):
    escarcelle.seed(products=3, beneficiaries=0)
    products = escarcelle.products()
    weighed = escarcelle.create_product(name="Carottes « bio » d'Île-de-France", price="2.40",
                                        unit="kg")  # fmt: skip
    escarcelle.restock(weighed["id"], "12.250")
    escarcelle.archive_product(products[0]["id"])
    html = _page(escarcelle)
    stock = escarcelle.stock()
    for product in [*products, weighed]:
        cells = _cells(html, product["id"])
        assert cells[1] == product["name"]
        assert cells[4] == f"{stock[product['id']]:.3f}"
    assert _cells(html, weighed["id"])[2:5] == ["kg", "2.40 €", "12.250"]
    assert _cells(html, products[0]["id"])[5] == "archivé"
    assert "Aucune vente." in html


def test_the_page_shows_a_sale_and_the_stock_it_moved(escarcelle):
    escarcelle.seed(products=2, beneficiaries=1)
    product = escarcelle.products()[0]
    beneficiary = escarcelle.beneficiaries()[0]["id"]
    escarcelle.adjust(product["id"], "10")
    before = _page(escarcelle)
    assert _cells(before, product["id"])[4] == "10.000" and "Aucune vente." in before
    body = sale_body(product["id"], "1.500", beneficiary_id=beneficiary)
    with escarcelle.client() as client:
        sale = client.post("/sales", json=body, headers={"Idempotency-Key": key()}).json()
    html = _page(escarcelle)
    cells = _cells(html, sale["id"])
    assert cells[1] == body["external_ref"] and cells[3] == beneficiary
    assert cells[4] == str(sale["sequence"])
    assert cells[5] == f"{product['name']} × 1.500"
    assert _cells(html, product["id"])[4] == "8.500"
    assert "Aucune vente." not in html


def test_the_page_escapes_what_the_shop_and_the_api_send(escarcelle):
    hostile = '<script>alert("x")</script> & <b>'
    product = escarcelle.create_product(name=hostile, price="1.00")
    body = sale_body(product["id"], external_ref='<img src=x onerror="alert(1)">')
    with escarcelle.client() as client:
        client.post("/sales", json=body, headers={"Idempotency-Key": key()}).raise_for_status()
    html = _page(escarcelle)
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert _cells(html, product["id"])[1] == hostile
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html


def test_an_unknown_account_is_a_404(escarcelle):
    with httpx.Client(trust_env=False) as client:
        response = client.get(f"{escarcelle.base_url}/ui/accounts/acc_999999")
    assert response.status_code == 404
