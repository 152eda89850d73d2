"""Pages are sent compressed when the browser asks; static files and photos are left alone."""

from __future__ import annotations

import gzip

import brotli
from django.test import Client
from django.urls import reverse

from tests.factories import make_catalogue, make_distribution, make_product


def order_page(shop) -> str:
    products = [make_product(shop=shop, name=f"Produit {n}") for n in range(20)]
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=products)]
    )
    return reverse(
        "distributions:order_distribution", kwargs={"shop_slug": shop.slug, "pk": distribution.pk}
    )


def test_the_ordering_page_is_served_gzip_encoded_when_asked(beneficiary_client, shop):
    address = order_page(shop)
    response = beneficiary_client.get(address, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "Produit 19" in html
    assert len(response.content) < len(html.encode()) / 4


def test_brotli_is_preferred_when_the_browser_accepts_it(beneficiary_client, shop):
    address = order_page(shop)
    response = beneficiary_client.get(address, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "br"
    assert "Produit 19" in brotli.decompress(response.content).decode()


def test_a_browser_that_does_not_ask_gets_plain_html(beneficiary_client, shop):
    response = beneficiary_client.get(order_page(shop))
    assert not response.has_header("Content-Encoding")
    assert "Produit 19" in response.content.decode()


def test_the_csrf_token_differs_in_every_compressed_response(beneficiary_client, shop):
    """BREACH: the token in the page is masked afresh each time, so a compressed size says
    nothing about it across requests."""
    address = order_page(shop)
    tokens = set()
    for _ in range(2):
        html = beneficiary_client.get(address).content.decode()
        start = html.index('name="csrfmiddlewaretoken" value="') + 34
        tokens.add(html[start : start + 64])
    assert len(tokens) == 2


def test_the_favicon_answers_at_the_root_and_is_linked(client: Client, db):
    response = client.get("/favicon.ico", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in page and "favicon" in page
