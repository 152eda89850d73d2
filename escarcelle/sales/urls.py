from __future__ import annotations

from django.urls import path

from escarcelle.sales import views

app_name = "sales"
urlpatterns = [
    path("parametres/escarcelle/ventes/", views.sales_list, name="list"),
    path("parametres/escarcelle/ventes/<int:pk>/renvoyer/", views.sale_retry, name="retry"),
]
