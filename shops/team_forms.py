"""Forms of Paramètres → Équipe and → Épicerie, and of the invitation link."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from shops.models import Shop

SHOP_FIELDS = ["name", "address", "contact_email", "timezone"]


class ShopForm(forms.ModelForm):
    """What a manager may change about the grocery."""

    class Meta:
        model = Shop
        fields = SHOP_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "contact_email": {"invalid": _("Cette adresse e-mail n'est pas valide.")},
        }


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail de la personne à inviter"),
        error_messages={"invalid": _("Cette adresse e-mail n'est pas valide.")},
    )


class AcceptForm(forms.Form):
    """A password for the new account of an invited person."""

    password1 = forms.CharField(
        label=_("Mot de passe"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Confirmation du mot de passe"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        elif first:
            try:
                password_validation.validate_password(
                    first, User(username=self.email, email=self.email)
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
