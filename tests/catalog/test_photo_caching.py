"""Photos and thumbnails carry validators and a versioned URL a browser may keep a year."""

from __future__ import annotations

from catalog.models import Product
from tests.catalog.test_photos import upload, url
from tests.factories import image_bytes, make_product


def photographed(manager_client, shop) -> Product:
    product = make_product(shop=shop)
    upload(manager_client, shop, product, image_bytes())
    return Product.objects.get(pk=product.pk)


def test_a_thumbnail_answers_304_to_its_etag_and_to_its_date(manager_client, shop):
    product = photographed(manager_client, shop)
    address = url(shop, "product_thumbnail", pk=product.pk)
    first = manager_client.get(address)
    assert first.status_code == 200 and first["ETag"].startswith('"')
    again = manager_client.get(address, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    since = manager_client.get(address, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304


def test_a_new_photo_changes_the_version_and_the_etag(manager_client, shop):
    product = photographed(manager_client, shop)
    address = url(shop, "product_photo", pk=product.pk)
    before = manager_client.get(address)["ETag"]
    old_version = product.photo_version
    upload(manager_client, shop, product, image_bytes(size=(300, 200)))
    product.refresh_from_db()
    assert product.photo_version != old_version
    response = manager_client.get(address, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200 and response["ETag"] != before


def test_only_the_current_version_is_kept_a_year_and_never_by_a_shared_cache(manager_client, shop):
    product = photographed(manager_client, shop)
    address = url(shop, "product_thumbnail", pk=product.pk)
    current = manager_client.get(f"{address}?v={product.photo_version}")
    assert current["Cache-Control"] == "private, max-age=31536000, immutable"
    stale = manager_client.get(f"{address}?v=ancienne")
    assert stale["Cache-Control"] == "private, max-age=86400"


def test_the_product_list_links_the_versioned_thumbnail(manager_client, shop):
    product = photographed(manager_client, shop)
    html = manager_client.get(url(shop, "products")).content.decode()
    assert f"?v={product.photo_version}" in html
