"""The operator's form to create a grocery and invite its first manager."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shops.models import Shop
from shops.team_forms import SHOP_FIELDS


class ShopCreateForm(forms.ModelForm):
    manager_email = forms.EmailField(
        label=_("E-mail du premier gestionnaire"),
        help_text=_("Une invitation lui est envoyée ; le lien permet de choisir un mot de passe."),
        error_messages={"invalid": _("Cette adresse e-mail n'est pas valide.")},
    )

    class Meta:
        model = Shop
        fields = ["name", "slug", *SHOP_FIELDS[1:]]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "slug": _("Début de l'adresse des pages : lettres minuscules, chiffres et tirets."),
        }
        error_messages = {
            "slug": {
                "unique": _("Cet identifiant est déjà pris par une autre épicerie."),
                "invalid": _(
                    "L'identifiant ne peut contenir que des lettres, des chiffres et des tirets."
                ),
            },
            "contact_email": {"invalid": _("Cette adresse e-mail n'est pas valide.")},
        }

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].strip().lower()


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail du gestionnaire"),
        error_messages={"invalid": _("Cette adresse e-mail n'est pas valide.")},
    )
