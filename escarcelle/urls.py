from __future__ import annotations

from django.urls import include, path

from escarcelle import views
from escarcelle.imports import views as imports

app_name = "escarcelle"
urlpatterns = [
    path("stocks/", include("escarcelle.stock.urls")),
    path("parametres/escarcelle/", views.settings_page, name="settings"),
    path("produits/import-escarcelle/", imports.import_products, name="import_products"),
    path(
        "produits/import-escarcelle/<int:plan_id>/",
        imports.import_products_plan,
        name="import_products_plan",
    ),
    path(
        "beneficiaires/import-escarcelle/",
        imports.import_beneficiaries,
        name="import_beneficiaries",
    ),
    path(
        "beneficiaires/import-escarcelle/<int:plan_id>/",
        imports.import_beneficiaries_plan,
        name="import_beneficiaries_plan",
    ),
    path("", include("escarcelle.sales.urls")),
]
