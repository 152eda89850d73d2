from __future__ import annotations

from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("rapports/", views.report_page, name="index"),
    path("rapports/export.<slug:fmt>", views.report_export, name="export"),
    path("rapports/distributions/<int:pk>/", views.distribution_page, name="distribution"),
    path(
        "rapports/distributions/<int:pk>/export.<slug:fmt>",
        views.distribution_export,
        name="distribution_export",
    ),
    path("rapports/beneficiaires/<int:pk>/", views.beneficiary_page, name="beneficiary"),
    path(
        "rapports/beneficiaires/<int:pk>/export.<slug:fmt>",
        views.beneficiary_export,
        name="beneficiary_export",
    ),
]
