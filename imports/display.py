"""Plan values shown the French way (``2,50``, ``0,5``, ``31/12/2026``, ``oui``), for every
preview; and the view of a row that the shared partial ``imports/_diff.html`` renders."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from epiclic.numbers import decimal_text, money_text
from imports.rows import Row, Value
from imports.selectors import ShownRow


class FieldKind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True)
class FieldSpec:
    """How a preview names and shows one field of the objects an import writes."""

    label: str | Promise
    kind: FieldKind = FieldKind.TEXT
    # Stored code → label shown (units: ``piece`` → ``pièce``).
    choices: Mapping[str, str | Promise] | None = None


def shown(spec: FieldSpec | None, value: Value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if spec is None or not isinstance(value, str):
        return str(value)
    if spec.choices is not None and value in spec.choices:
        return str(spec.choices[value])
    try:
        if spec.kind == FieldKind.MONEY:
            return money_text(Decimal(value))
        if spec.kind == FieldKind.NUMBER:
            return decimal_text(Decimal(value))
        if spec.kind == FieldKind.DATE:
            return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except (InvalidOperation, ValueError):
        pass
    return value


@dataclass(slots=True)
class DiffLine:
    label: str
    old: str
    new: str
    # The label is a column name, shown as code (the CSV import).
    code: bool = False


@dataclass(slots=True)
class RowView:
    row: Row
    kept: bool
    selectable: bool
    diff: list[DiffLine]
    # The row's values, shown.
    values: dict[str, str]
    # A link proposed on a name alone, declined by the manager (``Row.proposed_link``).
    declined: bool = False


def row_views(
    rows: Iterable[ShownRow],
    specs: Mapping[str, FieldSpec],
    *,
    labels: Mapping[str, str] | None = None,
) -> list[RowView]:
    """What the preview shows of each row; ``labels`` (column names) replace the specs' own."""

    def label(field: str) -> str:
        if labels is not None:
            return labels.get(field, field)
        spec = specs.get(field)
        return str(spec.label) if spec else field

    return [
        RowView(
            row=item.row,
            kept=item.kept,
            selectable=item.selectable,
            diff=[
                DiffLine(
                    label(c.field),
                    shown(specs.get(c.field), c.old),
                    shown(specs.get(c.field), c.new),
                    code=labels is not None,
                )
                for c in item.row.diff
            ],
            values={f: shown(specs.get(f), v) for f, v in item.row.values.items()},
            declined=item.declined,
        )
        for item in rows
    ]
