"""Forms of the distribution pages (manager) and of the cart (beneficiary)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Catalogue
from distributions.models import Distribution
from epiclic.numbers import FrenchDecimalField
from shops.models import Membership, NotificationKind, Shop
from shops.notifications import grocery_sends, person_notifications_off, person_wants
from shops.signin import password_check

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DistributionForm(forms.ModelForm):
    catalogues = forms.ModelMultipleChoiceField(
        label=_("Catalogues proposés"),
        queryset=Catalogue.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Distribution
        fields = [
            "starts_at",
            "ends_at",
            "place",
            "orders_open_at",
            "orders_close_at",
            "catalogues",
        ]
        widgets = {
            "starts_at": DATETIME_WIDGET,
            "ends_at": DATETIME_WIDGET,
            "orders_open_at": DATETIME_WIDGET,
            "orders_close_at": DATETIME_WIDGET,
        }

    def __init__(self, *args: Any, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this shop's catalogues can be offered; another shop's id is an invalid choice.
        catalogues = cast(forms.ModelMultipleChoiceField, self.fields["catalogues"])
        catalogues.queryset = Catalogue.objects.filter(shop=shop).order_by("name")
        for name in ("starts_at", "ends_at", "orders_open_at", "orders_close_at"):
            field = cast(forms.DateTimeField, self.fields[name])
            field.input_formats = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        opens, closes = data.get("orders_open_at"), data.get("orders_close_at")
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if opens and closes and closes <= opens:
            self.add_error(
                "orders_close_at",
                _("La fermeture des commandes doit être postérieure à leur ouverture."),
            )
        if closes and starts and closes > starts:
            self.add_error(
                "orders_close_at",
                _("Les commandes doivent fermer avant le début de la distribution."),
            )
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("La fin doit être postérieure au début."))
        if starts and self.instance.pk:
            self._slots_check(starts, ends)
        return data

    def _slots_check(self, starts: datetime.datetime, ends: datetime.datetime | None) -> None:
        """The pick-up slots must stay within the distribution's new time."""
        slots = self.instance.slots.all()
        message = _(
            "Des créneaux de retrait sortiraient de la distribution : modifiez-les "
            "ou supprimez-les d'abord."
        )
        if slots.filter(starts_at__lt=starts).exists():
            self.add_error("starts_at", message)
        elif ends is not None and slots.filter(ends_at__gt=ends).exists():
            self.add_error("ends_at", message)


class QuantityField(FrenchDecimalField):
    """A quantity typed the French way (``1,5``) or with a dot."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 3)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": _("Indiquez une quantité en chiffres, par exemple 2 ou 1,5."),
                "min_value": _("La quantité ne peut pas être négative."),
                "max_decimal_places": _("Indiquez la quantité avec trois décimales au plus."),
                "max_digits": _("Cette quantité est trop grande."),
                "max_whole_digits": _("Cette quantité est trop grande."),
                "required": _("Indiquez une quantité."),
            },
        )
        super().__init__(**kwargs)


class CartLineForm(forms.Form):
    product = forms.IntegerField(min_value=1)
    quantity = QuantityField(label=_("Quantité"))


class DeliveredForm(forms.Form):
    """Empty: delivered as ordered; 0: missing."""

    delivered_quantity = QuantityField(label=_("Quantité livrée"), required=False)
    missing = forms.BooleanField(required=False)

    def delivered(self) -> Decimal | None:
        if self.cleaned_data.get("missing"):
            return Decimal("0")
        return self.cleaned_data.get("delivered_quantity")


def form_errors_text(form: forms.Form) -> str:
    """A form's errors as one line, for a message or the cart's refusal."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


class SlotForm(forms.Form):
    """A pick-up slot as typed; ``slots.slot_save`` checks how it fits the distribution."""

    starts_at = forms.DateTimeField(
        label=_("Début"),
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        error_messages={
            "required": _("Indiquez le début du créneau."),
            "invalid": _("Indiquez une date et une heure, par exemple 02/12/2026 17:30."),
        },
    )
    ends_at = forms.DateTimeField(
        label=_("Fin"),
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        error_messages={
            "required": _("Indiquez la fin du créneau."),
            "invalid": _("Indiquez une date et une heure, par exemple 02/12/2026 18:00."),
        },
    )
    capacity = forms.IntegerField(
        label=_("Nombre de places"),
        widget=forms.NumberInput(attrs={"min": 1}),
        error_messages={
            "required": _("Indiquez le nombre de places."),
            "invalid": _("Indiquez le nombre de places en chiffres."),
        },
    )


class SlotMoveForm(forms.Form):
    slot = forms.IntegerField(
        label=_("Créneau"),
        error_messages={"required": _("Choisissez un créneau."), "invalid": _("Créneau inconnu.")},
    )


class AccountForm(forms.ModelForm):
    """*Mon compte*: the name and e-mail of one's own account (the e-mail signs in).

    A new e-mail is a new sign-in name: it asks for the current password, so that a session
    left open cannot take the account over (and through the reset e-mail, its password).
    Changing the name alone does not."""

    current_password = forms.CharField(
        label=_("Mot de passe actuel"),
        help_text=_("Demandé seulement pour changer d'e-mail."),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email"]
        labels = {"first_name": _("Prénom"), "last_name": _("Nom"), "email": _("E-mail")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].error_messages = {
            "required": _("Indiquez votre e-mail."),
            "invalid": _("Indiquez une adresse e-mail valide, par exemple nom@exemple.fr."),
        }

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        taken = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise forms.ValidationError(
                _("Cette adresse e-mail est déjà celle d'un autre compte."), code="email_taken"
            )
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        email = cleaned.get("email")
        # The instance still holds the saved e-mail: the form copies the new one over later.
        if email and email != (self.instance.email or "").strip().lower():
            password = cleaned.get("current_password") or ""
            if not password:
                self.add_error(
                    "current_password",
                    forms.ValidationError(
                        _("Indiquez votre mot de passe actuel pour changer d'e-mail."),
                        code="password_required",
                    ),
                )
            elif refused := password_check(self.instance, password):
                self.add_error(
                    "current_password", forms.ValidationError(refused, code="password_incorrect")
                )
        return cleaned

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        # The account signs in with its e-mail: the username follows it.
        user.username = user.email
        if commit:
            user.save(update_fields=["first_name", "last_name", "email", "username"])
        return user


class NotificationsForm(forms.Form):
    """The e-mails a member receives: a ticked box is a kind they receive."""

    kinds = forms.MultipleChoiceField(
        label=_("Je reçois un e-mail"),
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        self.membership = membership
        # The rule is shops.notifications': the boxes show the person's own choice, those of the
        # kinds the grocery does not send disabled.
        self.shop_off = {
            kind for kind in NotificationKind.values if not grocery_sends(membership.shop, kind)
        }
        kwargs.setdefault(
            "initial",
            {"kinds": [kind for kind in NotificationKind.values if person_wants(membership, kind)]},
        )
        super().__init__(*args, **kwargs)

    def notifications_off(self) -> list[str]:
        """The kinds the person switched off once saved (``person_notifications_off``)."""
        return person_notifications_off(self.membership, ticked=self.cleaned_data["kinds"])
