"""Included under ``stocks/`` in the ``escarcelle`` namespace (escarcelle/urls.py)."""

from __future__ import annotations

from django.urls import path

from escarcelle.stock import views, webhook_views

urlpatterns = [
    path("", views.stocks, name="stocks"),
    path("synchroniser/", views.sync_now, name="stocks_sync"),
    path("synchronisation/", views.sync_status, name="stocks_status"),
    path("mises-a-jour/activer/", webhook_views.enable, name="stocks_webhook_enable"),
    path("mises-a-jour/desactiver/", webhook_views.disable, name="stocks_webhook_disable"),
    path("webhook/<str:token>/", webhook_views.receive, name="stocks_webhook"),
]
