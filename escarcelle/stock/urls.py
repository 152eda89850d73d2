"""Included under ``stocks/`` in the ``escarcelle`` namespace (escarcelle/urls.py)."""

from __future__ import annotations

from django.urls import path

from escarcelle.stock import views

urlpatterns = [
    path("", views.stocks, name="stocks"),
    path("synchroniser/", views.sync_now, name="stocks_sync"),
    path("synchronisation/", views.sync_status, name="stocks_status"),
]
