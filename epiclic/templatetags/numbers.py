"""Numbers written the French way in every page: ``{{ line.quantity|quantity }}`` → ``12,5``
(never ``12,500``), ``{{ line.total|euros }}`` → ``3,20 €`` (non-breaking space before €).
The rules are ``epiclic.numbers.decimal_text`` and ``epiclic.numbers.euros``."""

from __future__ import annotations

from decimal import Decimal

from django import template

from epiclic import numbers

register = template.Library()


@register.filter
def quantity(value: Decimal | int | str | None) -> str:
    return numbers.decimal_text(value)


@register.filter
def euros(value: Decimal | int | str | None) -> str:
    return numbers.euros(value)
