from __future__ import annotations

from django.urls import path

from shops import beneficiaries, team_views, views

app_name = "shops"
urlpatterns = [
    path("", views.shop_home, name="home"),
    path("parametres/", views.settings_index, name="settings"),
    path("parametres/equipe/", team_views.team_index, name="team"),
    path("parametres/equipe/<int:pk>/retirer/", team_views.manager_remove, name="manager_remove"),
    path(
        "parametres/equipe/invitations/<int:pk>/annuler/",
        team_views.invitation_cancel,
        name="invitation_cancel",
    ),
    path("parametres/epicerie/", team_views.shop_edit, name="shop_edit"),
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
