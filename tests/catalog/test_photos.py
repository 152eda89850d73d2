from __future__ import annotations

import io

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from catalog.models import Product
from tests.catalog.test_products import valid_form
from tests.factories import image_bytes, make_beneficiary, make_product


def url(shop, name: str, **kwargs) -> str:
    return reverse(f"catalog:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def upload(manager_client, shop, product, content: bytes, name: str = "photo.png", **extra):
    return manager_client.post(
        url(shop, "product_edit", pk=product.pk),
        {**valid_form(ref=product.ref), "new_photo": SimpleUploadedFile(name, content), **extra},
    )


def served_image(response) -> Image.Image:
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_an_uploaded_photo_is_resized_reencoded_and_gets_a_thumbnail(manager_client, shop):
    product = make_product(shop=shop)
    response = upload(manager_client, shop, product, image_bytes(size=(1600, 1200)))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.photo and product.thumbnail
    photo = served_image(manager_client.get(url(shop, "product_photo", pk=product.pk)))
    assert photo.format == "JPEG" and photo.size == (800, 600)
    thumb = served_image(manager_client.get(url(shop, "product_thumbnail", pk=product.pk)))
    assert max(thumb.size) <= 120


def test_the_exif_orientation_is_applied(manager_client, shop):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    product = make_product(shop=shop)
    upload(
        manager_client, shop, product, image_bytes(size=(400, 200), fmt="JPEG", exif=exif), "p.jpg"
    )
    photo = served_image(manager_client.get(url(shop, "product_photo", pk=product.pk)))
    assert photo.size == (200, 400)


def test_a_file_that_is_not_an_image_is_refused(manager_client, shop):
    product = make_product(shop=shop)
    response = upload(manager_client, shop, product, b"%PDF-1.4 pas une image", "doc.pdf")
    assert response.status_code == 200
    assert "pas une image lisible" in response.content.decode()
    product.refresh_from_db()
    assert not product.photo


def test_a_photo_over_8_mb_is_refused(manager_client, shop):
    product = make_product(shop=shop)
    response = upload(manager_client, shop, product, b"\xff" * (8 * 1024 * 1024 + 1), "big.jpg")
    assert "8 Mo au maximum" in response.content.decode()


def test_replacing_then_removing_a_photo_deletes_the_old_files(
    manager_client, shop, django_capture_on_commit_callbacks
):
    product = make_product(shop=shop)
    upload(manager_client, shop, product, image_bytes())
    product.refresh_from_db()
    first = product.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(manager_client, shop, product, image_bytes(size=(300, 300)))
    product.refresh_from_db()
    assert product.photo.name != first
    assert not default_storage.exists(first)
    second = product.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(
            url(shop, "product_edit", pk=product.pk),
            {**valid_form(ref=product.ref), "remove_photo": "on"},
        )
    product.refresh_from_db()
    assert not product.photo and not default_storage.exists(second)


def test_photos_are_served_to_members_of_the_shop_only(
    manager_client, beneficiary_client, outsider_client, shop, other_shop
):
    product = make_product(shop=shop)
    upload(manager_client, shop, product, image_bytes())
    for name in ("product_photo", "product_thumbnail"):
        photo_url = url(shop, name, pk=product.pk)
        assert beneficiary_client.get(photo_url).status_code == 200
        assert manager_client.get(photo_url).status_code == 200
        assert outsider_client.get(photo_url).status_code == 404
        assert Client().get(photo_url).status_code == 302
        # A beneficiary of another shop, asking through their own shop's address: 404 too.
        other = Client()
        other.force_login(make_beneficiary(shop=other_shop).membership.user)
        assert other.get(photo_url).status_code == 404
        assert other.get(url(other_shop, name, pk=product.pk)).status_code == 404


def test_a_product_without_photo_answers_404(manager_client, shop):
    product = make_product(shop=shop)
    assert manager_client.get(url(shop, "product_photo", pk=product.pk)).status_code == 404


def test_the_photo_is_not_under_a_public_media_url(manager_client, shop):
    product = make_product(shop=shop)
    upload(manager_client, shop, product, image_bytes())
    html = manager_client.get(url(shop, "products")).content.decode()
    assert "/media/" not in html
    assert url(shop, "product_thumbnail", pk=product.pk) in html
    assert Product.objects.get(pk=product.pk).photo.name.startswith(f"products/{shop.pk}/")
