from __future__ import annotations

from django.urls import path

from shops import views

app_name = "shops"
urlpatterns = [
    path("", views.shop_home, name="home"),
    path("parametres/", views.settings_index, name="settings"),
    path("beneficiaires/", views.beneficiary_list, name="beneficiaries"),
]
