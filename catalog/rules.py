"""Product field rules, defined once: the product form, the CSV import and the Escarcelle import
all check through these, so a product stored by one is always accepted by the others.

Limits come from the model's fields (``max_length``, ``max_digits``, ``decimal_places``).
A check answers with a *problem code* (or None); each caller words it for its reader (a form
error, a CSV cell, an Escarcelle warning) but none decides the rule on its own. French
decimals are read by ``epiclic.numbers.parse_decimal`` only.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import npgettext

from catalog.models import VAT_RATES, Product, Unit
from epiclic.numbers import decimal_text
from imports.display import FieldKind, FieldSpec

GTIN_LENGTHS = (8, 12, 13, 14)
# A TextField has no limit of its own; nothing legitimate is longer.
DESCRIPTION_MAX = 20_000
DECIMAL_FIELDS = ("unit_quantity", "price", "vat_rate", "stock")
UNITS = frozenset(Unit.values)

# Problem codes.
NEGATIVE = "negative"
ZERO = "zero"
PLACES = "places"
TOO_BIG = "too_big"
TOO_LONG = "too_long"


def _field(name: str) -> Any:
    return Product._meta.get_field(name)


@functools.cache
def max_length(field_name: str) -> int:
    if field_name == "description":
        return DESCRIPTION_MAX
    return int(_field(field_name).max_length)


@functools.cache
def max_digits(field_name: str) -> int:
    return int(_field(field_name).max_digits)


@functools.cache
def decimal_places(field_name: str) -> int:
    return int(_field(field_name).decimal_places)


@functools.cache
def decimal_max(field_name: str) -> Decimal:
    """The largest value the column holds: 99 999 999,99 for a price (10 digits, 2 decimals)."""
    field: models.DecimalField = _field(field_name)
    places = int(field.decimal_places)
    return Decimal(10) ** (int(field.max_digits) - places) - Decimal(1).scaleb(-places)


def gtin_is_valid(code: str) -> bool:
    """A GTIN-8, -12 (UPC), -13 (EAN) or -14 with a correct check digit."""
    if len(code) not in GTIN_LENGTHS or not code.isascii() or not code.isdigit():
        return False
    # Weights 3, 1, 3, … from the digit just left of the check digit; with the check digit
    # the total is a multiple of 10.
    tripled = sum(map(int, code[-2::-2]))
    once = sum(map(int, code[-3::-2]))
    return (3 * tripled + once + int(code[-1])) % 10 == 0


def barcode_message() -> str:
    return _(
        "Code-barres invalide : un code-barres (GTIN) compte 8, 12, 13 ou 14 chiffres et son "
        "dernier chiffre (la clé de contrôle) doit être correct."
    )


def validate_barcode(value: str) -> None:
    """Django validator of the form: empty, or a valid GTIN."""
    if value and not gtin_is_valid(value):
        raise ValidationError(barcode_message(), code="gtin")


def text_problem(field_name: str, value: str) -> str | None:
    return TOO_LONG if len(value) > max_length(field_name) else None


def decimal_problem(field_name: str, value: Decimal) -> str | None:
    """What is wrong with a figure for this field: NEGATIVE, ZERO, TOO_BIG, PLACES or None.

    PLACES (more decimals than the column keeps) comes last: a caller that rounds instead of
    refusing knows the rounded value fits.
    """
    if value < 0:
        return NEGATIVE
    if field_name == "unit_quantity" and value == 0:
        return ZERO
    if value > decimal_max(field_name):
        return TOO_BIG
    if value != value.quantize(_step(field_name)):
        return PLACES
    return None


@functools.cache
def _step(field_name: str) -> Decimal:
    return Decimal(1).scaleb(-decimal_places(field_name))


def canonical(field_name: str, value: Any) -> Any:
    """A field's value in the JSON-ready form plans store, so that equal means unchanged.

    Decimals are quantised to the column's places (``"2.50"``, ``"0.500"``, ``"5.50"``).
    """
    if field_name in DECIMAL_FIELDS:
        return str(Decimal(value).quantize(_step(field_name)))
    if field_name == "active":
        return bool(value)
    return value if value is not None else ""


def current_value(product: Product, field_name: str) -> Any:
    return canonical(field_name, getattr(product, field_name))


def match_vat_rate(value: Decimal) -> Decimal | None:
    """The French VAT rate equal to ``value`` (5.5 == 5.50), or None."""
    for rate in VAT_RATES:
        if rate == value:
            return rate
    return None


@functools.cache
def _unit_words() -> dict[str, str]:
    words = dict.fromkeys(("pce", "pc", "pièces", "pieces", "u", "unité", "unite"), "piece")
    with translation.override("fr"):  # the words of a file are French whatever the UI
        words.update({str(label).lower(): code for code, label in Unit.choices})
    words.update({code: code for code in Unit.values})
    return words


def unit_text(unit: str, quantity: Decimal | str | None) -> str:
    """``quantity`` and its unit the French way: ``1 pièce``, ``2 pièces``, ``0,5 kg``.

    French puts a noun in the plural from 2 on (``1,5 pièce``); the symbols never change.
    """
    label = str(Unit(unit).label) if unit in UNITS else unit
    if quantity is None or quantity == "":
        return label
    try:
        number = Decimal(quantity)
    except ArithmeticError:
        return f"{quantity} {label}"
    if unit == Unit.PIECE:
        label = npgettext("quantité", "pièce", "pièces", 2 if number >= 2 else 1)
    return f"{decimal_text(number)} {label}"


def match_unit(text: str) -> str | None:
    """A unit code from its code or its French label, case-insensitive (``Pièce`` → piece)."""
    return _unit_words().get(text.strip().lower())


def field_specs() -> dict[str, FieldSpec]:
    """How import previews name and show product fields."""
    return {
        "name": FieldSpec(_("nom")),
        "ref": FieldSpec(_("référence")),
        "barcode": FieldSpec(_("code-barres")),
        "description": FieldSpec(_("description")),
        "category": FieldSpec(_("catégorie")),
        "shelf_location": FieldSpec(_("emplacement en rayon")),
        "unit": FieldSpec(_("unité"), choices=dict(Unit.choices)),
        "unit_quantity": FieldSpec(_("quantité par unité"), FieldKind.NUMBER),
        "price": FieldSpec(_("prix"), FieldKind.MONEY),
        "vat_rate": FieldSpec(_("TVA"), FieldKind.NUMBER),
        "active": FieldSpec(_("actif")),
        "stock": FieldSpec(_("stock"), FieldKind.NUMBER),
    }
