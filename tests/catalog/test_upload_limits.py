"""Hostile uploads: a decompression bomb and an oversized body get a French message, not the
server's memory."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.catalog.test_products import valid_form
from tests.factories import make_product, png_bomb_bytes

ROOT = Path(__file__).resolve().parents[2]


class NeverRead(io.RawIOBase):
    """A request body that fails the test if the server starts reading it."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the oversized body was read")

    readline = read


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_decompression_bomb_is_refused_in_french_before_decoding(manager_client, shop):
    product = make_product(shop=shop)
    bomb = png_bomb_bytes()
    assert len(bomb) < 1024 * 1024
    response = manager_client.post(
        reverse("catalog:product_edit", kwargs={"shop_slug": shop.slug, "pk": product.pk}),
        {**valid_form(ref=product.ref), "new_photo": SimpleUploadedFile("bombe.png", bomb)},
    )
    assert response.status_code == 200
    assert "13000 × 13000 pixels" in response.content.decode()
    assert "40 mégapixels au maximum" in response.content.decode()
    product.refresh_from_db()
    assert not product.photo


BOMB_SCRIPT = """
import io, os
os.environ["DJANGO_SETTINGS_MODULE"] = "epiclic.settings_test"
import django
django.setup()
from django.core.exceptions import ValidationError
from catalog.photos import process_photo
from tests.factories import png_bomb_bytes

def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

bomb = png_bomb_bytes()
before = peak_kb()
try:
    process_photo(io.BytesIO(bomb))
except ValidationError:
    pass
print(peak_kb() - before)
"""


def test_a_decompression_bomb_keeps_the_process_under_300_mb_of_growth():
    result = subprocess.run(
        [sys.executable, "-c", BOMB_SCRIPT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) < 300 * 1024


def test_an_oversized_body_is_refused_from_its_headers_without_being_read(client, db):
    response = client.post(
        reverse("login"),
        data=b"",
        content_type="application/octet-stream",
        **{"CONTENT_LENGTH": str(200 * 1024 * 1024), "wsgi.input": NeverRead()},
    )
    assert response.status_code == 413
    assert "trop lourd : 10 Mo au maximum" in response.content.decode()


def test_an_oversized_photo_upload_by_a_manager_is_refused_before_it_is_received(
    manager_client, shop
):
    product = make_product(shop=shop)
    response = manager_client.post(
        reverse("catalog:product_edit", kwargs={"shop_slug": shop.slug, "pk": product.pk}),
        data=b"",
        content_type="multipart/form-data; boundary=x",
        **{"CONTENT_LENGTH": str(11 * 1024 * 1024), "wsgi.input": NeverRead()},
    )
    assert response.status_code == 413
