"""``{% unit_text quantity unit %}``: a quantity and its unit the French way (``2 pièces``)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from catalog import rules

register = template.Library()


@register.simple_tag
def unit_text(quantity: Decimal | str | None, unit: str) -> str:
    return rules.unit_text(unit, quantity)
