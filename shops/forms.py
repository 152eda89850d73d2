"""Forms of the shop pages: the beneficiary profile, the notification settings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from epiclic.numbers import FrenchDecimalField
from shops.models import BeneficiaryProfile, NotificationKind, Shop

PROFILE_FIELDS = [
    "card_number",
    "household_size",
    "participation_rate",
    "monthly_budget",
    "access_valid_until",
    "active",
]


def _decimal_input() -> forms.TextInput:
    widget = forms.TextInput(attrs={"inputmode": "decimal"})
    widget.is_localized = True
    return widget


class BeneficiaryForm(forms.ModelForm):
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)

    class Meta:
        model = BeneficiaryProfile
        fields = PROFILE_FIELDS
        widgets = {"access_valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        # Figures are read by the one French decimal parser: "12,5" and "12.5" alike.
        field_classes = {
            "participation_rate": FrenchDecimalField,
            "monthly_budget": FrenchDecimalField,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The name this grocery uses (the account's own only once it is a member here).
            profile = self.instance
            user = profile.membership.user
            typed = profile.first_name or profile.last_name or profile.membership.pending
            self.fields["first_name"].initial = profile.first_name if typed else user.first_name
            self.fields["last_name"].initial = profile.last_name if typed else user.last_name
        self.order_fields(["first_name", "last_name", *PROFILE_FIELDS])
        rate = self.fields["participation_rate"]
        # A text input: a browser shows an <input type="number"> holding "30,00" as empty,
        # and saving the form would then wipe the figure.
        rate.localize = True
        rate.widget = _decimal_input()
        rate.error_messages.update(
            {
                "min_value": _("Le taux de participation est compris entre 0 et 100 %%."),
                "max_value": _("Le taux de participation est compris entre 0 et 100 %%."),
                "invalid": _("Indiquez un taux en chiffres, par exemple 30 ou 12,5."),
            }
        )
        budget = self.fields["monthly_budget"]
        budget.localize = True
        budget.widget = _decimal_input()
        budget.validators.append(
            MinValueValidator(Decimal("0"), _("Le budget mensuel ne peut pas être négatif."))
        )
        budget.help_text = _("Plafond des commandes d'un mois. Laissez vide : pas de plafond.")
        self.fields["access_valid_until"].help_text = _("Laissez vide : accès sans limite de date.")
        budget.error_messages["invalid"] = _(
            "Indiquez un montant en chiffres, par exemple 120 ou 45,50."
        )
        valid_until = self.fields["access_valid_until"]
        assert isinstance(valid_until, forms.DateField)
        valid_until.input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        valid_until.error_messages["invalid"] = _("Indiquez une date au format jj/mm/aaaa.")

    def clean_household_size(self) -> int:
        size = self.cleaned_data["household_size"]
        if size < 1:
            raise forms.ValidationError(_("Le foyer compte au moins une personne."))
        return size


class BeneficiaryCreateForm(BeneficiaryForm):
    email = forms.EmailField(
        label=_("E-mail"),
        error_messages={"invalid": _("Cette adresse e-mail n'est pas valide.")},
        help_text=_("Sert d'identifiant ; un lien pour choisir un mot de passe y sera envoyé."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["email", "first_name", "last_name", *PROFILE_FIELDS])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class NotificationSettingsForm(forms.ModelForm):
    """*Paramètres*: which e-mails the grocery sends its beneficiaries, and when."""

    # The reminder goes within an ordering window; two weeks before closing is already more.
    REMINDER_HOURS_MAX = 14 * 24
    ACCESS_ENDING_DAYS_MAX = 90

    kinds_on = forms.MultipleChoiceField(
        label=_("E-mails envoyés aux bénéficiaires"),
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Chaque bénéficiaire peut aussi se désabonner d'un type d'e-mail."),
    )

    class Meta:
        model = Shop
        fields = ["reminder_hours", "access_ending_days"]
        help_texts = {
            "reminder_hours": _(
                "Si les commandes restent ouvertes moins de deux fois ce délai, le rappel part "
                "à la moitié de la période de commande."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        off = self.instance.notifications_off or []
        self.fields["kinds_on"].initial = [k for k in NotificationKind.values if k not in off]

    def clean_reminder_hours(self) -> int:
        hours: int = self.cleaned_data["reminder_hours"]
        if hours < 1:
            raise forms.ValidationError(
                _("Au moins 1 heure. Pour ne pas envoyer de rappel, décochez-le ci-dessus.")
            )
        if hours > self.REMINDER_HOURS_MAX:
            raise forms.ValidationError(
                _(
                    "Le rappel ne peut pas partir plus de %(max)s heures (14 jours) avant la "
                    "fermeture des commandes : c'est plus long qu'une période de commande."
                )
                % {"max": self.REMINDER_HOURS_MAX}
            )
        return hours

    def clean_access_ending_days(self) -> int:
        days: int = self.cleaned_data["access_ending_days"]
        if not 1 <= days <= self.ACCESS_ENDING_DAYS_MAX:
            raise forms.ValidationError(
                _("Entre 1 et %(max)s jours. Pour ne pas prévenir, décochez-le ci-dessus.")
                % {"max": self.ACCESS_ENDING_DAYS_MAX}
            )
        return days

    def save(self, commit: bool = True) -> Shop:
        shop: Shop = super().save(commit=False)
        on = set(self.cleaned_data["kinds_on"])
        shop.notifications_off = [k for k in NotificationKind.values if k not in on]
        if commit:
            shop.save(update_fields=["reminder_hours", "access_ending_days", "notifications_off"])
        return shop
