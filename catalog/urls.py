from __future__ import annotations

from django.urls import path

from catalog.views import catalogues, csv_import, products

app_name = "catalog"
urlpatterns = [
    path("produits/", products.product_list, name="products"),
    path("produits/nouveau/", products.product_create, name="product_create"),
    path("produits/<int:pk>/", products.product_edit, name="product_edit"),
    path("produits/<int:pk>/activation/", products.product_toggle_active, name="product_toggle"),
    path("produits/<int:pk>/suppression/", products.product_delete, name="product_delete"),
    path("produits/<int:pk>/photo/", products.product_photo, name="product_photo"),
    path("produits/<int:pk>/miniature/", products.product_thumbnail, name="product_thumbnail"),
    path("produits/export.csv", csv_import.product_export, name="product_export"),
    path("produits/import-csv/", csv_import.csv_import_upload, name="csv_import"),
    path("produits/import-csv/<int:pk>/", csv_import.csv_import_preview, name="csv_import_preview"),
    path(
        "produits/import-csv/<int:pk>/confirmer/",
        csv_import.csv_import_confirm,
        name="csv_import_confirm",
    ),
    path("catalogues/", catalogues.catalogue_list, name="catalogues"),
    path("catalogues/nouveau/", catalogues.catalogue_create, name="catalogue_create"),
    path("catalogues/<int:pk>/", catalogues.catalogue_detail, name="catalogue"),
    path("catalogues/<int:pk>/modifier/", catalogues.catalogue_edit, name="catalogue_edit"),
    path("catalogues/<int:pk>/ajouter/", catalogues.catalogue_add, name="catalogue_add"),
    path("catalogues/<int:pk>/retirer/", catalogues.catalogue_remove, name="catalogue_remove"),
]
