from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from operators import health
from operators import metrics as operator_metrics
from shops import team_views
from shops import views as shop_views
from shops.signin import SignInView, ThrottledPasswordResetView

# Fixed paths first; any other first segment is a shop slug (shops.models.RESERVED_SLUGS).
urlpatterns = [
    path("", shop_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("operateur/", include("operators.urls")),
    path("sante/", health.liveness, name="health"),
    path("sante/pret/", health.readiness, name="health_ready"),
    path("metrics", operator_metrics.metrics_view, name="metrics"),
    path(
        "compte/invitation/<str:token>/",
        team_views.invitation_accept,
        name="invitation_accept",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("compte/notifications/", include("notifications.urls")),
    path("compte/connexion/", SignInView.as_view(), name="login"),
    path("compte/deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "compte/mot-de-passe/oublie/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "compte/mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "compte/mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "compte/mot-de-passe/change/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("<slug:shop_slug>/", include("shops.urls")),
    path("<slug:shop_slug>/", include("catalog.urls")),
    path("<slug:shop_slug>/", include("distributions.urls")),
    path("<slug:shop_slug>/", include("reports.urls")),
    path("<slug:shop_slug>/", include("escarcelle.urls")),
]
