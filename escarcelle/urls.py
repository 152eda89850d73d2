from __future__ import annotations

from django.urls import path

from escarcelle import views

app_name = "escarcelle"
urlpatterns = [
    path("stocks/", views.stocks, name="stocks"),
    path("parametres/escarcelle/", views.settings_page, name="settings"),
    path("produits/import-escarcelle/", views.import_products, name="import_products"),
    path(
        "beneficiaires/import-escarcelle/",
        views.import_beneficiaries,
        name="import_beneficiaries",
    ),
]
