from __future__ import annotations

import datetime

from django.urls import reverse

from catalog.models import Catalogue
from tests.factories import make_catalogue, make_product


def url(shop, name: str, **kwargs) -> str:
    return reverse(f"catalog:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def test_every_catalogue_page_is_guarded_by_shop_and_role(check_tenancy, shop):
    catalogue = make_catalogue(shop=shop)
    check_tenancy(url(shop, "catalogues"))
    check_tenancy(url(shop, "catalogue_create"))
    check_tenancy(url(shop, "catalogue", pk=catalogue.pk))
    check_tenancy(url(shop, "catalogue_edit", pk=catalogue.pk))
    check_tenancy(url(shop, "catalogue_add", pk=catalogue.pk))
    check_tenancy(url(shop, "catalogue_remove", pk=catalogue.pk), method="post")


def test_a_catalogue_of_another_shop_is_404(manager_client, shop, other_shop):
    catalogue = make_catalogue(shop=other_shop)
    for name in ("catalogue", "catalogue_edit", "catalogue_add"):
        assert manager_client.get(url(shop, name, pk=catalogue.pk)).status_code == 404


def test_the_list_shows_each_catalogue_with_its_product_count(manager_client, shop, other_shop):
    products = [make_product(shop=shop) for _ in range(3)]
    make_catalogue(shop=shop, name="Épicerie", products=products)
    make_catalogue(shop=shop, name="Frais", products=products[:1])
    make_catalogue(shop=other_shop, name="Ailleurs")
    response = manager_client.get(url(shop, "catalogues"))
    counts = {c.name: c.product_count for c in response.context["catalogues"]}
    assert counts == {"Épicerie": 3, "Frais": 1}


def test_a_manager_creates_and_edits_a_catalogue_with_a_period(manager_client, shop):
    response = manager_client.post(
        url(shop, "catalogue_create"),
        {"name": "Été", "starts_on": "2026-06-01", "ends_on": "2026-08-31"},
    )
    catalogue = Catalogue.objects.get(shop=shop, name="Été")
    assert response["Location"] == url(shop, "catalogue_add", pk=catalogue.pk)
    assert catalogue.products.count() == 0  # adding products is a separate, deliberate act
    assert catalogue.is_current(datetime.date(2026, 7, 1))
    assert not catalogue.is_current(datetime.date(2026, 9, 1))
    manager_client.post(
        url(shop, "catalogue_edit", pk=catalogue.pk),
        {"name": "Été 2026", "starts_on": "", "ends_on": ""},
    )
    catalogue.refresh_from_db()
    assert (catalogue.name, catalogue.starts_on, catalogue.ends_on) == ("Été 2026", None, None)


def test_an_end_before_the_start_is_refused(manager_client, shop):
    response = manager_client.post(
        url(shop, "catalogue_create"),
        {"name": "X", "starts_on": "2026-06-01", "ends_on": "2026-05-01"},
    )
    assert "La fin doit être après le début." in response.content.decode()
    assert not Catalogue.objects.exists()


def test_products_are_added_in_bulk_and_removed(manager_client, shop, other_shop):
    catalogue = make_catalogue(shop=shop)
    a, b, c = (make_product(shop=shop, name=n) for n in ("A", "B", "C"))
    foreign = make_product(shop=other_shop)
    manager_client.post(
        url(shop, "catalogue_add", pk=catalogue.pk), {"product": [a.pk, b.pk, foreign.pk]}
    )
    assert set(catalogue.products.all()) == {a, b}  # another shop's product is ignored
    response = manager_client.post(
        url(shop, "catalogue_add", pk=catalogue.pk), {"product": [a.pk, c.pk]}, follow=True
    )
    assert "1 produit ajouté au catalogue." in response.content.decode()
    manager_client.post(url(shop, "catalogue_remove", pk=catalogue.pk), {"product": [a.pk]})
    assert set(catalogue.products.all()) == {b, c}


def test_the_add_page_filters_products_in_no_catalogue_and_flags_missing_photos(
    manager_client, shop
):
    placed = make_product(shop=shop, name="Déjà placé", photo="a.jpg")
    make_product(shop=shop, name="Importé d'Escarcelle", escarcelle_id="E1")
    make_catalogue(shop=shop, name="Frais", products=[placed])
    target = make_catalogue(shop=shop, name="Épicerie")
    response = manager_client.get(url(shop, "catalogue_add", pk=target.pk), {"catalogue": "out"})
    assert [p.name for p in response.context["page"].object_list] == ["Importé d'Escarcelle"]
    html = response.content.decode()
    assert "sans photo" in html and "pas encore dans un catalogue" in html


def test_the_catalogue_page_lists_its_products(manager_client, shop):
    inside = make_product(shop=shop, name="Dedans")
    make_product(shop=shop, name="Dehors")
    catalogue = make_catalogue(shop=shop, products=[inside])
    response = manager_client.get(url(shop, "catalogue", pk=catalogue.pk))
    assert [p.name for p in response.context["page"].object_list] == ["Dedans"]
