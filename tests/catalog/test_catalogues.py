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


def test_ticks_survive_moving_to_another_page_and_are_all_added(manager_client, shop):
    catalogue = make_catalogue(shop=shop)
    products = [make_product(shop=shop, name=f"Produit {n:02d}") for n in range(55)]
    first, last = products[0], products[-1]  # page 1 and page 2 (50 a page, by name)
    page = url(shop, "catalogue_add", pk=catalogue.pk)
    moved = manager_client.post(page, {"product": [first.pk], "aller": "2", "next": "?q="})
    assert moved.status_code == 302
    assert moved["Location"] == f"{page}?q=&page=2&product={first.pk}"
    html = manager_client.get(moved["Location"]).content.decode()
    assert f'<input type="hidden" name="product" value="{first.pk}">' in html
    assert "1 produit coché, sur cette page ou d'autres" in html
    back = manager_client.post(
        page, {"product": [first.pk, last.pk], "aller": "1", "next": "?q=&page=2"}
    )
    html = manager_client.get(back["Location"]).content.decode()
    assert f'value="{first.pk}" aria-label="{first.name}" checked>' in html
    assert f'<input type="hidden" name="product" value="{last.pk}">' in html
    added = manager_client.post(page, {"product": [first.pk, last.pk]}, follow=True)
    assert "2 produits ajoutés au catalogue." in added.content.decode()
    assert set(catalogue.products.all()) == {first, last}


def test_ticks_survive_a_search(manager_client, shop):
    catalogue = make_catalogue(shop=shop)
    rice = make_product(shop=shop, name="Riz")
    make_product(shop=shop, name="Pâtes")
    page = url(shop, "catalogue_add", pk=catalogue.pk)
    html = manager_client.get(page, {"q": "Pât", "product": [rice.pk]}).content.decode()
    # Carried by the add form, by the search form without JavaScript, and by htmx with it.
    assert f'<input type="hidden" name="product" value="{rice.pk}">' in html
    assert html.count(f'name="product" value="{rice.pk}"') == 2
    assert 'hx-include="#add-form input[name=product]"' in html
    partial = manager_client.get(
        page,
        {"q": "Pât", "product": [rice.pk]},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="product-table",
    ).content.decode()
    assert f'<input type="hidden" name="product" value="{rice.pk}">' in partial


def test_the_product_list_search_carries_no_ticks(manager_client, shop):
    html = manager_client.get(reverse("catalog:products", kwargs={"shop_slug": shop.slug}))
    assert "hx-include" not in html.content.decode()
