"""Reads of the catalog app; the product list must stay a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from catalog.models import Catalogue, Product
from shops.models import Shop

LIST_FIELDS = (
    "id",
    "shop_id",
    "name",
    "ref",
    "barcode",
    "category",
    "unit",
    "unit_quantity",
    "price",
    "vat_rate",
    "photo",
    "thumbnail",
    "active",
    "stock_source",
    "stock",
    "escarcelle_id",
    "updated_at",
)


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    status: str = "all"  # all | active | inactive
    catalogue: str = ""  # "" | in | out
    photo: str = ""  # "" | without
    source: str = ""  # "" | manual | escarcelle
    sort: str = "name"  # name | -name


def product_list(shop: Shop, filters: ProductFilters) -> QuerySet[Product]:
    in_catalogue = Exists(Catalogue.products.through.objects.filter(product_id=OuterRef("pk")))
    qs = Product.objects.filter(shop=shop).only(*LIST_FIELDS).annotate(in_catalogue=in_catalogue)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(ref__icontains=q) | Q(barcode__startswith=q))
    if filters.status == "active":
        qs = qs.filter(active=True)
    elif filters.status == "inactive":
        qs = qs.filter(active=False)
    if filters.catalogue == "in":
        qs = qs.filter(in_catalogue=True)
    elif filters.catalogue == "out":
        qs = qs.filter(in_catalogue=False)
    if filters.photo == "without":
        qs = qs.filter(photo="")
    if filters.source in ("manual", "escarcelle"):
        qs = qs.filter(stock_source=filters.source)
    return qs.order_by("-name", "-id") if filters.sort == "-name" else qs.order_by("name", "id")


def products_for_export(shop: Shop) -> QuerySet[Product]:
    return Product.objects.filter(shop=shop).order_by("ref", "name", "id")


def catalogue_list(shop: Shop) -> QuerySet[Catalogue]:
    return Catalogue.objects.filter(shop=shop).annotate(product_count=Count("products"))


def catalogue_products(catalogue: Catalogue, q: str = "") -> QuerySet[Product]:
    qs = catalogue.products.only(*LIST_FIELDS).order_by("name", "id")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(ref__icontains=q) | Q(barcode__startswith=q))
    return qs


def products_to_add(shop: Shop, catalogue: Catalogue, filters: ProductFilters) -> QuerySet[Product]:
    """The shop's products, with whether each is already in this catalogue."""
    here = Exists(
        Catalogue.products.through.objects.filter(
            product_id=OuterRef("pk"), catalogue_id=catalogue.pk
        )
    )
    return product_list(shop, filters).annotate(in_this_catalogue=here)
