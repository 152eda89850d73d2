"""Checks shared by the product form and the CSV import, so both refuse the same input."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from catalog.models import VAT_RATES, Unit


def ean_is_valid(code: str) -> bool:
    """EAN-8 or EAN-13 with a correct check digit."""
    if len(code) not in (8, 13) or not code.isascii() or not code.isdigit():
        return False
    digits = [int(c) for c in code]
    # Weights 3, 1, 3, … starting from the digit just left of the check digit.
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def validate_ean(value: str) -> None:
    if value and not ean_is_valid(value):
        raise ValidationError(
            _(
                "Code-barres invalide : un EAN compte 8 ou 13 chiffres et son dernier chiffre "
                "(la clé de contrôle) doit être correct."
            ),
            code="ean",
        )


def parse_decimal(text: str) -> Decimal:
    """A number as people type it in France: ``2,99``, ``2.99``, ``1 234,5``, ``3 €``.

    Raises ``ValueError`` when it is not a finite number.
    """
    cleaned = (
        text.strip()
        .replace("\u00a0", "")
        .replace("\u202f", "")
        .replace(" ", "")
        .replace("€", "")
        .replace("%", "")
        .replace(",", ".")
    )
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite():
        raise ValueError(text)
    return value


def match_vat_rate(value: Decimal) -> Decimal | None:
    """The French VAT rate equal to ``value`` (5.5 == 5.50), or None."""
    for rate in VAT_RATES:
        if rate == value:
            return rate
    return None


def match_unit(text: str) -> str | None:
    """A unit code from its code or its French label, case-insensitive (``Pièce`` → piece)."""
    wanted = text.strip().lower()
    for code, label in Unit.choices:
        if wanted in (code, str(label).lower()):
            return code
    if wanted in ("pce", "pc", "pièces", "pieces", "u", "unité", "unite"):
        return Unit.PIECE
    return None
