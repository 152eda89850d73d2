"""Forms of the manager's product and catalogue pages (French labels)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog import photos, rules
from catalog.models import VAT_CHOICES, Catalogue, Product, StockSource
from catalog.selectors import ProductFilters
from epiclic.numbers import FrenchDecimalField
from shops.models import Shop


class ProductFigureField(FrenchDecimalField):
    """A product figure: read by ``epiclic.numbers``, limited by the model's column (the same
    limits as the imports, ``catalog.rules``), shown as a French reader types it."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def __init__(self, field_name: str, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages", {"invalid": _("Saisissez un nombre, par exemple 2,99.")}
        )
        super().__init__(
            max_digits=rules.max_digits(field_name),
            decimal_places=rules.decimal_places(field_name),
            **kwargs,
        )

    def prepare_value(self, value: Any) -> Any:
        """Show a stored figure as a French reader types it: ``2,69``, ``250``, ``0,5``."""
        if isinstance(value, Decimal) and value.is_finite():
            if self.decimal_places == 2:
                text = f"{value:.2f}"
            else:
                text = format(value.normalize(), "f")
            return text.replace(".", ",")
        return value


class ProductForm(forms.ModelForm):
    price = ProductFigureField("price", label=_("Prix en rayon TTC (€)"), min_value=Decimal("0"))
    unit_quantity = ProductFigureField(
        "unit_quantity",
        label=_("Quantité par unité"),
        min_value=Decimal("0.001"),
        initial=Decimal("1"),
    )
    stock = ProductFigureField(
        "stock", label=_("Stock (géré à la main)"), min_value=Decimal("0"), initial=Decimal("0")
    )
    vat_rate = forms.TypedChoiceField(
        label=_("Taux de TVA"),
        choices=[(str(rate), label) for rate, label in VAT_CHOICES],
        coerce=Decimal,
        initial="5.5",
    )
    new_photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG ou WebP, 8 Mo au maximum ; elle est redimensionnée à 800 px."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remove_photo = forms.BooleanField(label=_("Retirer la photo"), required=False)

    class Meta:
        model = Product
        fields = [
            "name",
            "ref",
            "barcode",
            "category",
            "shelf_location",
            "description",
            "unit",
            "unit_quantity",
            "price",
            "vat_rate",
            "stock_source",
            "stock",
        ]
        labels = {
            "name": _("Nom"),
            "ref": _("Référence"),
            "barcode": _("Code-barres (EAN)"),
            "category": _("Catégorie"),
            "shelf_location": _("Emplacement en rayon"),
            "description": _("Description"),
            "unit": _("Unité"),
            "stock_source": _("Origine du stock"),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "shelf_location": _(
                "Facultatif : où le trouver (ex. « Allée 3, étagère B ») ; "
                "affiché sur la liste de préparation."
            )
        }

    def __init__(self, *args: Any, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.instance.shop = shop
        self.processed_photo: tuple[bytes, bytes] | None = None
        if self.instance.pk:
            rate = rules.match_vat_rate(self.instance.vat_rate)
            self.initial["vat_rate"] = str(rate if rate is not None else self.instance.vat_rate)
        if not self.instance.escarcelle_id:
            # Only the Escarcelle import binds a product to Escarcelle stock.
            stock_source = self.fields["stock_source"]
            assert isinstance(stock_source, forms.ChoiceField)
            stock_source.choices = [(StockSource.MANUAL.value, StockSource.MANUAL.label)]

    def clean_barcode(self) -> str:
        barcode = self.cleaned_data["barcode"].strip().replace(" ", "")
        rules.validate_barcode(barcode)
        return barcode

    def clean_description(self) -> str:
        description = self.cleaned_data["description"]
        if rules.text_problem("description", description):
            raise ValidationError(
                _("La description dépasse %(n)s caractères.") % {"n": rules.DESCRIPTION_MAX}
            )
        return description

    def clean_ref(self) -> str:
        ref = self.cleaned_data["ref"].strip()
        if (
            ref
            and Product.objects.filter(shop=self.shop, ref=ref)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise ValidationError(_("Un autre produit de l'épicerie a déjà cette référence."))
        return ref

    def clean_new_photo(self) -> object:
        upload = self.cleaned_data.get("new_photo")
        if upload:
            self.processed_photo = photos.process_photo(upload)
        return upload


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[("all", _("Tous")), ("active", _("Actifs")), ("inactive", _("Inactifs"))],
    )
    catalogue = forms.ChoiceField(
        label=_("Catalogue"),
        required=False,
        choices=[
            ("", _("Tous")),
            ("in", _("Dans un catalogue")),
            ("out", _("Pas encore dans un catalogue")),
        ],
    )
    photo = forms.ChoiceField(
        label=_("Photo"), required=False, choices=[("", _("Toutes")), ("without", _("Sans photo"))]
    )
    source = forms.ChoiceField(
        label=_("Stock"),
        required=False,
        choices=[("", _("Tous")), ("manual", _("Géré à la main")), ("escarcelle", _("Escarcelle"))],
    )
    sort = forms.ChoiceField(
        label=_("Tri"),
        required=False,
        choices=[("name", _("Nom (A → Z)")), ("-name", _("Nom (Z → A)"))],
    )

    def filters(self) -> ProductFilters:
        if not self.is_valid():
            return ProductFilters()
        data = {k: v for k, v in self.cleaned_data.items() if v}
        return ProductFilters(**data)


class CatalogueForm(forms.ModelForm):
    class Meta:
        model = Catalogue
        fields = ["name", "starts_on", "ends_on"]
        labels = {"name": _("Nom"), "starts_on": _("Début"), "ends_on": _("Fin")}
        help_texts = {
            "starts_on": _("Laissez vide pour un catalogue sans date de début."),
            "ends_on": _("Laissez vide pour un catalogue sans date de fin."),
        }
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("La fin doit être après le début."))
        return data


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV"),
        allow_empty_file=True,  # refused later with the import's own French message
        help_text=_(
            "Séparateur point-virgule ou virgule, UTF-8 ou Windows-1252, 5 Mo au maximum. "
            "Colonnes obligatoires : ref, nom, prix_ttc."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
