from __future__ import annotations

from django.urls import path

from escarcelle import views

app_name = "escarcelle"
urlpatterns = [
    path("stocks/", views.stocks, name="stocks"),
    path("parametres/escarcelle/", views.settings_page, name="settings"),
]
