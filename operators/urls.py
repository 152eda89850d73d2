from __future__ import annotations

from django.urls import path

from operators import views

app_name = "operators"
urlpatterns = [
    path("", views.fleet, name="fleet"),
    path("epiceries/nouvelle/", views.shop_create, name="shop_create"),
    path("epiceries/<slug:slug>/", views.shop_detail, name="shop"),
    path("epiceries/<slug:slug>/suspendre/", views.shop_suspend, name="shop_suspend"),
    path("epiceries/<slug:slug>/reactiver/", views.shop_reactivate, name="shop_reactivate"),
]
