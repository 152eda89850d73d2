"""The bag sheets of a large distribution, laid out in parts (one per core) and put together."""

from __future__ import annotations

import io

from django.urls import reverse
from pypdf import PdfReader

from distributions.views import documents
from tests.factories import make_beneficiary, make_distribution, make_order, make_product, make_user


def test_bag_sheets_in_parts_keep_every_order_in_name_order(manager_client, shop, monkeypatch):
    monkeypatch.setattr(documents, "BAGS_PER_PART", 1)
    monkeypatch.setattr(documents, "processes", lambda: 2)
    rice = make_product(shop=shop, name="Riz", price="2.00")
    distribution = make_distribution(shop=shop, state="closed")
    names = ["Anne Aubert", "Basile Bon", "Chloé Cros"]
    for name in reversed(names):
        first, last = name.split()
        profile = make_beneficiary(shop=shop, user=make_user(first_name=first, last_name=last))
        make_order(membership=profile.membership, distribution=distribution, lines={rice: 2})
    url = reverse(
        "distributions:document_pdf",
        kwargs={"shop_slug": shop.slug, "pk": distribution.pk, "kind": "sacs"},
    )
    response = manager_client.get(url)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) == 3  # one order a page, across the parts
    assert [name for page in pages for name in names if name in page] == names
    # The title once, on the first page; the later parts start with their first order.
    assert "Fiches sacs" in pages[0]
    assert all("Fiches sacs" not in page for page in pages[1:])


def _picking(manager_client, distribution) -> str:
    url = reverse(
        "distributions:document",
        kwargs={"shop_slug": distribution.shop.slug, "pk": distribution.pk, "kind": "preparation"},
    )
    return manager_client.get(url).content.decode()


def test_the_picking_list_shows_shelf_locations_when_a_product_has_one(manager_client, shop):
    rice = make_product(shop=shop, name="Riz", category="Épicerie", shelf_location="Allée 3")
    tea = make_product(shop=shop, name="Thé", category="Épicerie")
    distribution = make_distribution(shop=shop, state="closed")
    profile = make_beneficiary(shop=shop)
    make_order(membership=profile.membership, distribution=distribution, lines={rice: 1, tea: 2})
    page = _picking(manager_client, distribution)
    assert '<th scope="col">Emplacement</th>' in page
    assert page.index("Riz") < page.index("Allée 3") < page.index("Thé")


def test_the_picking_list_has_no_location_column_when_no_product_has_one(manager_client, shop):
    rice = make_product(shop=shop, name="Riz", category="Épicerie")
    distribution = make_distribution(shop=shop, state="closed")
    profile = make_beneficiary(shop=shop)
    make_order(membership=profile.membership, distribution=distribution, lines={rice: 1})
    assert "Emplacement" not in _picking(manager_client, distribution)
