"""The one French decimal parser, and the form field that uses it.

Every form and every import reads numbers through ``parse_decimal``, so ``2,99``, ``2.99``,
``1 234,5`` and ``3 €`` mean the same everywhere, and ``1e26`` or a 40-digit number is refused
with a message instead of an error deep in ``decimal``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

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
