"""The sign-in page: Django's, with "Rester connecté" (a long session on one's own device)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    remember = forms.BooleanField(
        label=_("Rester connecté sur cet appareil"),
        required=False,
        help_text=_("À ne cocher que sur votre propre téléphone ou ordinateur."),
    )


class SignInView(LoginView):
    form_class = SignInForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "remember_days": settings.SESSION_REMEMBER_DAYS,
        }

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if form.cleaned_data.get("remember"):
            # One sign-in lasts SESSION_REMEMBER_DAYS (docs/operations.md): fewer sign-ins,
            # so fewer password checks when a distribution opens.
            self.request.session.set_expiry(settings.SESSION_REMEMBER_DAYS * 24 * 3600)
        else:
            self.request.session.set_expiry(0)  # until the browser closes
        return response
