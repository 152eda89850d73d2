from __future__ import annotations

from django.urls import path

from distributions import views

app_name = "distributions"
urlpatterns = [
    path("distributions/", views.distribution_list, name="list"),
    path("commander/", views.order, name="order"),
    path("mes-commandes/", views.my_orders, name="my_orders"),
]
