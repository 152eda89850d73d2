from __future__ import annotations

from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("desabonnement/<str:token>/", views.optout, name="optout"),
]
