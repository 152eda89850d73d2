from __future__ import annotations

from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("produits/", views.product_list, name="products"),
    path("catalogues/", views.catalogue_list, name="catalogues"),
]
