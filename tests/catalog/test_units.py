"""Quantities and units written the French way, in one function."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from catalog.rules import unit_text


@pytest.mark.parametrize(
    ("unit", "quantity", "text"),
    [
        ("piece", "1", "1 pièce"),
        ("piece", Decimal("1.500"), "1,5 pièce"),
        ("piece", "2", "2 pièces"),
        ("piece", None, "pièce"),
        ("kg", Decimal("12.500"), "12,5 kg"),
        ("g", "250", "250 g"),
    ],
)
def test_a_quantity_and_its_unit_read_the_french_way(unit, quantity, text):
    with translation.override("fr"):
        assert unit_text(unit, quantity) == text
