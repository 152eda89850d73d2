"""Products: the list, create / edit / deactivate / delete, and the photos served by the app."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors, services
from catalog.forms import ProductFilterForm, ProductForm
from catalog.models import Product
from epiclic.collation import collated_page
from epiclic.errors import Refusal
from shops.access import ShopRequest, access_object, manager_view, member_view

PAGE_SIZE = 50
PHOTO_MAX_AGE = 365 * 24 * 3600


def _products_url(request: ShopRequest) -> str:
    from django.urls import reverse

    return reverse("catalog:products", kwargs={"shop_slug": request.shop.slug})


@manager_view
def product_list(request: ShopRequest) -> HttpResponse:
    form = ProductFilterForm(request.GET)
    filters = form.filters()
    page = collated_page(
        selectors.product_list(request.shop, filters),
        field="name",
        number=request.GET.get("page"),
        per_page=PAGE_SIZE,
        reverse=filters.sort == "-name",
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "catalog/product_list.html"
    if request.htmx and request.htmx.target == "product-table":
        template += "#table"
    return render(request, template, context)


@transaction.atomic
def _save_product(request: ShopRequest, form: ProductForm) -> Product:
    product = form.save()
    if form.processed_photo:
        services.product_photo_replace(
            product=product, photo=form.processed_photo[0], thumbnail=form.processed_photo[1]
        )
    elif form.cleaned_data.get("remove_photo") and product.photo:
        services.product_photo_replace(product=product, photo=None, thumbnail=None)
    return product


@manager_view
def product_create(request: ShopRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, request.FILES or None, shop=request.shop)
    if request.method == "POST" and form.is_valid():
        product = _save_product(request, form)
        messages.success(request, _("Produit « %(name)s » créé.") % {"name": product.name})
        return redirect(_products_url(request))
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


@manager_view
def product_edit(request: ShopRequest, pk: int) -> HttpResponse:
    product = access_object(request.shop, Product, pk=pk)
    form = ProductForm(
        request.POST or None, request.FILES or None, instance=product, shop=request.shop
    )
    if request.method == "POST" and form.is_valid():
        _save_product(request, form)
        messages.success(request, _("Produit « %(name)s » enregistré.") % {"name": product.name})
        return redirect(_products_url(request))
    context = {
        "form": form,
        "product": product,
        "can_delete": services.product_can_be_deleted(product),
        "catalogues": product.catalogues.order_by("name"),
    }
    return render(request, "catalog/product_form.html", context)


@manager_view
@require_POST
def product_toggle_active(request: ShopRequest, pk: int) -> HttpResponse:
    product = access_object(request.shop, Product, pk=pk)
    services.product_set_active(product=product, active=not product.active)
    if product.active:
        messages.success(request, _("Produit « %(name)s » réactivé.") % {"name": product.name})
    else:
        messages.success(
            request,
            _("Produit « %(name)s » désactivé : il ne peut plus être commandé.")
            % {"name": product.name},
        )
    return redirect("catalog:product_edit", shop_slug=request.shop.slug, pk=product.pk)


@manager_view
def product_delete(request: ShopRequest, pk: int) -> HttpResponse:
    product = access_object(request.shop, Product, pk=pk)
    if request.method == "POST":
        try:
            services.product_delete(product=product)
        except Refusal as refusal:
            messages.error(request, refusal.message)
            return redirect("catalog:product_edit", shop_slug=request.shop.slug, pk=pk)
        messages.success(request, _("Produit « %(name)s » supprimé.") % {"name": product.name})
        return redirect(_products_url(request))
    context = {"product": product, "can_delete": services.product_can_be_deleted(product)}
    return render(request, "catalog/product_confirm_delete.html", context)


def _serve(request: ShopRequest, product: Product, name: str) -> HttpResponseBase:
    """A photo or thumbnail with validators: a file name is never reused (catalog.photos), so
    its digest is a strong ETag and the file's time its Last-Modified; a URL carrying the
    current ``?v=`` (``Product.photo_version``) is kept a year, any other a day."""
    if not name or not default_storage.exists(name):
        raise Http404
    etag = f'"{hashlib.sha256(name.encode()).hexdigest()[:16]}"'
    modified = default_storage.get_modified_time(name)
    not_modified = get_conditional_response(
        request, etag=etag, last_modified=int(modified.timestamp())
    )
    if not_modified is not None:
        response: HttpResponseBase = not_modified
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified.timestamp())
    # Private: a photo is only shown to the shop's members, never kept by a shared cache.
    if request.GET.get("v") == product.photo_version:
        response["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}, immutable"
    else:
        response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@member_view
def product_photo(request: ShopRequest, pk: int) -> HttpResponseBase:
    product = access_object(
        request.shop, Product.objects.only("photo", "thumbnail", "shop_id"), pk=pk
    )
    return _serve(request, product, product.photo.name)


@member_view
def product_thumbnail(request: ShopRequest, pk: int) -> HttpResponseBase:
    product = access_object(
        request.shop, Product.objects.only("photo", "thumbnail", "shop_id"), pk=pk
    )
    return _serve(request, product, product.thumbnail.name)
