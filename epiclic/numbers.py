"""The one French decimal parser, the form field that uses it, and the way numbers are written.

``decimal_text`` and ``euros`` (template filters ``quantity`` and ``euros`` in
``epiclic/templatetags/numbers.py``) write a quantity ``12,5`` (never ``12,500``) and a price
``3,20 €`` (a non-breaking space before the sign) in the active language's format.

Every form and every import reads numbers through ``parse_decimal``, so ``2,99``, ``2.99``,
``1 234,5`` and ``3 €`` mean the same everywhere, and ``1e26`` or a 40-digit number is refused
with a message instead of an error deep in ``decimal``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.formats import number_format

NBSP = "\u00a0"

MAX_DIGITS = 18
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_decimal(text: str) -> Decimal:
    """A number as people type it in France: ``2,99``, ``2.99``, ``1 234,5``, ``3 €``, ``20 %``.

    Raises ``ValueError`` when it is not a plain finite number (no exponent, no ``NaN``) of at
    most ``MAX_DIGITS`` digits.
    """
    cleaned = (
        str(text)
        .strip()
        .replace("\u00a0", "")
        .replace("\u202f", "")
        .replace(" ", "")
        .replace("€", "")
        .replace("%", "")
        .replace(",", ".")
    )
    if not _NUMBER.fullmatch(cleaned) or sum(c.isdigit() for c in cleaned) > MAX_DIGITS:
        raise ValueError(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already refused it
        raise ValueError(text) from exc


class FrenchDecimalField(forms.DecimalField):
    """A ``DecimalField`` that reads ``2,5`` and ``2.5`` alike, through ``parse_decimal``."""

    # django-stubs gives DecimalField the to_python of IntegerField (-> int | None).
    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if isinstance(value, str):
            if value.strip() in self.empty_values:
                return None
            try:
                value = parse_decimal(value)
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
        return super().to_python(value)


def _finite(value: Decimal | int | str | None) -> Decimal | str:
    """``value`` as a finite Decimal, or the text to show as it is (``""`` for None)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    return number if number.is_finite() else str(value)


def decimal_text(value: Decimal | int | str | None) -> str:
    """A quantity or a rate as people write it: ``12,5``, ``2``, ``0,25`` (no trailing zeros,
    never an exponent); ``""`` for None."""
    number = _finite(value)
    if not isinstance(number, Decimal):
        return number
    number = number.normalize()
    if number == number.to_integral():
        number = number.quantize(Decimal(1))
    return number_format(number)


def money_text(value: Decimal | int | str | None) -> str:
    """An amount with its two decimals: ``3,20`` (``""`` for None)."""
    number = _finite(value)
    if not isinstance(number, Decimal):
        return number
    return number_format(number, 2)


def euros(value: Decimal | int | str | None) -> str:
    """An amount in euros: ``3,20 €``, the sign after a non-breaking space."""
    text = money_text(value)
    return f"{text}{NBSP}€" if text else ""
