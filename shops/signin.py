"""The sign-in page: Django's, with "Rester connecté" (a long session on one's own device)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from epiclic.throttle import Limit, client_address, retry_message, throttle_count, throttle_wait


def _signin_limits() -> tuple[Limit, Limit]:
    window = settings.SIGNIN_WINDOW_SECONDS
    return (
        Limit("signin-account", settings.SIGNIN_FAILURES_PER_ACCOUNT, window),
        Limit("signin-address", settings.SIGNIN_FAILURES_PER_ADDRESS, window),
    )


def _reset_limits() -> tuple[Limit, Limit]:
    return (
        Limit("reset-email", settings.PASSWORD_RESET_PER_EMAIL, 3600),
        Limit("reset-client", settings.PASSWORD_RESET_PER_CLIENT, 3600),
    )


def password_check(user: AbstractBaseUser, password: str) -> str | None:
    """Checks the current password typed by a signed-in person (a new e-mail, a new password):
    None when it is right, else the French message. Wrong ones count with the account's failed
    sign-ins, so that a session left open is no way round the sign-in's limit; once over it,
    the password is not even checked."""
    limit = _signin_limits()[0]
    wait = throttle_wait(limit, user.get_username())
    if wait:
        return gettext("Trop de tentatives.") + " " + retry_message(wait)
    if user.check_password(password):
        return None
    throttle_count(limit, user.get_username())
    return gettext("Ce mot de passe n'est pas le bon.")


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Django's password change, its old password checked by ``password_check``."""

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        refused = password_check(self.user, old_password)
        if refused:
            raise ValidationError(refused, code="password_incorrect")
        return old_password


class SignInForm(AuthenticationForm):
    remember = forms.BooleanField(
        label=_("Rester connecté sur cet appareil"),
        required=False,
        help_text=_("À ne cocher que sur votre propre téléphone ou ordinateur."),
    )

    def clean(self) -> dict[str, Any]:
        """Refused without checking the password once the account or the client address has
        failed too often in the window; each failure counts for both."""
        keys = (self.cleaned_data.get("username") or "", client_address(self.request))
        limits = _signin_limits()
        wait = max(throttle_wait(limit, key) for limit, key in zip(limits, keys, strict=True))
        if wait:
            raise ValidationError(
                gettext("Trop de tentatives de connexion.") + " " + retry_message(wait),
                code="throttled",
            )
        try:
            return super().clean()
        except ValidationError:
            for limit, key in zip(limits, keys, strict=True):
                throttle_count(limit, key)
            raise


class SignInView(LoginView):
    form_class = SignInForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        return {
            **context,
            "remember_days": settings.SESSION_REMEMBER_DAYS,
            "throttled": form is not None and form.has_error("__all__", "throttled"),
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

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", "throttled"):
            response.status_code = 429
        return response


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset page; e-mails limited per address and per client (same answer whether
    the address has an account or not)."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        keys = (form.cleaned_data["email"], client_address(self.request))
        limits = _reset_limits()
        wait = max(throttle_wait(limit, key) for limit, key in zip(limits, keys, strict=True))
        if wait:
            form.add_error(
                None, gettext("Trop de demandes de réinitialisation.") + " " + retry_message(wait)
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        for limit, key in zip(limits, keys, strict=True):
            throttle_count(limit, key)
        return super().form_valid(form)
