from __future__ import annotations

from django.urls import path

from shops import beneficiaries, views

app_name = "shops"
urlpatterns = [
    path("", views.shop_home, name="home"),
    path("parametres/", views.settings_index, name="settings"),
    path("beneficiaires/", beneficiaries.beneficiary_list, name="beneficiaries"),
    path(
        "beneficiaires/nouveau/",
        beneficiaries.beneficiary_create_view,
        name="beneficiary_create",
    ),
    path("beneficiaires/<int:pk>/", beneficiaries.beneficiary_edit, name="beneficiary_edit"),
    path(
        "beneficiaires/<int:pk>/desactiver/",
        beneficiaries.beneficiary_deactivate,
        name="beneficiary_deactivate",
    ),
]
