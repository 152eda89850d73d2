"""Every parser is total: the CSV import fed arbitrary bytes and extreme numbers by a manager
never answers 500; what it refuses it says in French and does not write, what it keeps it keeps
exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import CsvImportPlan, Product

HOSTILE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

EXTREME = st.one_of(
    st.sampled_from(
        [
            "1e26",
            "1E5",
            "9" * 28,
            "0," + "1" * 40,
            "NaN",
            "-Infinity",
            "inf",
            "1_000",
            "12,5,3",
            "--1",
            "+-0",
            "0x1F",
            "9" * 9 + ",999",
            "-" + "9" * 17,
        ]
    ),
    st.integers(min_value=10**9, max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: f"{x:e}"),
)


def _upload(client, shop, data: bytes):
    url = reverse("catalog:csv_import", kwargs={"shop_slug": shop.slug})
    return client.post(url, {"file": SimpleUploadedFile("produits.csv", data)})


def _walk(client, shop, data: bytes) -> str:
    """Upload, preview and confirm as a manager would; the pages' text."""
    response = _upload(client, shop, data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        return response.content.decode()
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    plan = CsvImportPlan.objects.latest("pk")
    confirm = reverse("catalog:csv_import_confirm", kwargs={"shop_slug": shop.slug, "pk": plan.pk})
    assert client.post(confirm, follow=True).status_code == 200
    return preview.content.decode()


@pytest.mark.django_db
@HOSTILE
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_get_a_french_message_and_write_nothing(manager_client, shop, data):
    Product.objects.filter(shop=shop).delete()
    page = _walk(manager_client, shop, data)
    assert "Traceback" not in page
    assert not Product.objects.filter(shop=shop).exists()


@pytest.mark.django_db
@HOSTILE
@given(column=st.sampled_from(["prix_ttc", "stock", "tva"]), number=EXTREME)
def test_extreme_numbers_are_refused_in_french_and_nothing_is_written(
    manager_client, shop, column, number
):
    Product.objects.filter(shop=shop).delete()  # one database for all the examples
    cells = {"prix_ttc": "2,50", "stock": "3", "tva": "5,5", column: number}
    data = (
        "ref;nom;prix_ttc;tva;unite;stock\r\n"
        f"X1;Pâtes;{cells['prix_ttc']};{cells['tva']};pièce;{cells['stock']}\r\n"
    ).encode()
    page = _walk(manager_client, shop, data)
    written = Product.objects.filter(shop=shop).first()
    if written is None:
        assert "erreur" in page.lower() or "invalide" in page.lower(), page[:2000]
    else:  # a big but representable figure is kept exactly, never rounded or overflowed
        field = {"prix_ttc": "price", "stock": "stock", "tva": "vat_rate"}[column]
        assert getattr(written, field) == Decimal(number.replace(",", ".")), (column, number)
