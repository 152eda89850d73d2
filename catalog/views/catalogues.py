"""Catalogues: list, create / edit, and the deliberate adding and removing of products."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog import selectors, services
from catalog.forms import CatalogueForm, ProductFilterForm
from catalog.models import Catalogue
from epiclic.collation import collated_page
from shops.access import ShopRequest, access_object, manager_view

PAGE_SIZE = 50


def _ids(request: ShopRequest) -> list[int]:
    return [int(v) for v in request.POST.getlist("product") if v.isdigit()]


@manager_view
def catalogue_list(request: ShopRequest) -> HttpResponse:
    catalogues = selectors.catalogue_list(request.shop)
    return render(request, "catalog/catalogue_list.html", {"catalogues": catalogues})


@manager_view
def catalogue_create(request: ShopRequest) -> HttpResponse:
    form = CatalogueForm(request.POST or None, instance=Catalogue(shop=request.shop))
    if request.method == "POST" and form.is_valid():
        catalogue = form.save()
        messages.success(
            request,
            _("Catalogue « %(name)s » créé. Ajoutez-y maintenant des produits.")
            % {"name": catalogue.name},
        )
        return redirect("catalog:catalogue_add", shop_slug=request.shop.slug, pk=catalogue.pk)
    return render(request, "catalog/catalogue_form.html", {"form": form, "catalogue": None})


@manager_view
def catalogue_edit(request: ShopRequest, pk: int) -> HttpResponse:
    catalogue = access_object(request.shop, Catalogue, pk=pk)
    form = CatalogueForm(request.POST or None, instance=catalogue)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Catalogue enregistré."))
        return redirect("catalog:catalogue", shop_slug=request.shop.slug, pk=pk)
    return render(request, "catalog/catalogue_form.html", {"form": form, "catalogue": catalogue})


@manager_view
def catalogue_detail(request: ShopRequest, pk: int) -> HttpResponse:
    catalogue = access_object(request.shop, Catalogue, pk=pk)
    q = request.GET.get("q", "").strip()
    page = collated_page(
        selectors.catalogue_products(catalogue, q),
        field="name",
        number=request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    context = {
        "catalogue": catalogue,
        "page": page,
        "q": q,
        "query": urlencode({"q": q}) if q else "",
        "total": catalogue.products.count(),
    }
    return render(request, "catalog/catalogue_detail.html", context)


def _add_page_keeping_ticks(request: ShopRequest, number: str) -> HttpResponse:
    """Another page of *Ajouter des produits*, the boxes ticked so far carried along."""
    back = request.POST.get("next", "")
    query = QueryDict(back[1:] if back.startswith("?") else "", mutable=True)
    query.pop("product", None)
    query["page"] = number
    query.setlist("product", [str(pk) for pk in dict.fromkeys(_ids(request))])
    return redirect(f"{request.path}?{query.urlencode()}")


@manager_view
def catalogue_add(request: ShopRequest, pk: int) -> HttpResponse:
    catalogue = access_object(request.shop, Catalogue, pk=pk)
    if request.method == "POST" and request.POST.get("aller", "").isdigit():
        return _add_page_keeping_ticks(request, request.POST["aller"])
    if request.method == "POST":
        added = services.catalogue_add_products(catalogue=catalogue, product_ids=_ids(request))
        messages.success(
            request,
            ngettext(
                "%(n)s produit ajouté au catalogue.", "%(n)s produits ajoutés au catalogue.", added
            )
            % {"n": added},
        )
        back = request.POST.get("next", "")
        if back.startswith("?"):
            return redirect(request.path + back)
        return redirect("catalog:catalogue_add", shop_slug=request.shop.slug, pk=pk)
    form = ProductFilterForm(request.GET)
    filters = form.filters()
    page = collated_page(
        selectors.products_to_add(request.shop, catalogue, filters),
        field="name",
        number=request.GET.get("page"),
        per_page=PAGE_SIZE,
        reverse=filters.sort == "-name",
    )
    # Ticks made on other pages or before a search travel in the address (``product``).
    ticked = list(dict.fromkeys(int(v) for v in request.GET.getlist("product") if v.isdigit()))
    on_page = {product.pk for product in page.object_list}
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("product", None)
    context = {
        "catalogue": catalogue,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "ticked": set(ticked),
        "ticked_elsewhere": [pk for pk in ticked if pk not in on_page],
        "ticked_count": len(ticked),
    }
    template = "catalog/catalogue_add.html"
    if request.htmx and request.htmx.target == "product-table":
        template += "#table"
    return render(request, template, context)


@manager_view
@require_POST
def catalogue_remove(request: ShopRequest, pk: int) -> HttpResponse:
    catalogue = access_object(request.shop, Catalogue, pk=pk)
    removed = services.catalogue_remove_products(catalogue=catalogue, product_ids=_ids(request))
    messages.success(
        request,
        ngettext(
            "%(n)s produit retiré du catalogue.", "%(n)s produits retirés du catalogue.", removed
        )
        % {"n": removed},
    )
    return redirect("catalog:catalogue", shop_slug=request.shop.slug, pk=pk)
