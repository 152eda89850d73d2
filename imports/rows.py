"""The typed plan row, defined once for every import (CSV file, Escarcelle products and people).

A row says what the confirmation will do to one object: its ``status``, the values of a new
object, the field-by-field ``diff`` of an existing one, and why it may not be applied
(``errors``) or what the manager should know (``warnings``). Values are JSON-ready: text,
whole numbers, booleans or None; a decimal is its canonical text (``"2.50"``), a date its ISO
text. Rows are stored as JSON (``PlanRow.data``) and read back as ``Row`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import TypeAdapter

Value = str | int | bool | None


class RowStatus(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    LINK = "link"
    DEACTIVATE = "deactivate"
    UNCHANGED = "unchanged"
    ERROR = "error"


# The statuses that write something when the plan is applied.
TO_APPLY = (RowStatus.NEW, RowStatus.CHANGED, RowStatus.LINK, RowStatus.DEACTIVATE)


@dataclass(slots=True)
class Change:
    field: str
    old: Value
    new: Value


@dataclass(slots=True)
class Person:
    """The account side of a beneficiary row: who signs in, and whether to invite them."""

    email: str = ""
    # The username of an account to create (None: an existing account, ``user_id``).
    username: str | None = None
    user_id: int | None = None
    membership_id: int | None = None
    invite: bool = False
    # An existing account of someone else: attached pending, invited to join (shops.people).
    attach: bool = False


@dataclass(slots=True)
class Row:
    status: RowStatus
    # What identifies the row in its source: the ref in a file, the id in Escarcelle.
    key: str
    name: str
    # Position in the plan, set when the plan is stored.
    i: int = -1
    # Line in the file (CSV imports).
    line: int | None = None
    # The existing object the row updates or links (None for a new one).
    target_id: int | None = None
    # The values of the object to create.
    values: dict[str, Value] = field(default_factory=dict)
    diff: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    person: Person | None = None
    # A LINK proposed on a name alone (the name of the existing object, ``target_id``): the
    # manager may decline it in the preview, and the row then creates ``values`` instead.
    proposed_link: str = ""

    @property
    def declinable(self) -> bool:
        return self.status == RowStatus.LINK and bool(self.proposed_link)

    def declined(self) -> Row:
        """The row a declined proposal becomes: a new object, created from ``values``."""
        return Row(
            RowStatus.NEW,
            key=self.key,
            name=self.name,
            i=self.i,
            line=self.line,
            values=self.values,
            warnings=self.warnings,
            errors=self.errors,
            person=self.person,
        )

    def change(self, field_name: str) -> Change | None:
        return next((c for c in self.diff if c.field == field_name), None)


_ROW = TypeAdapter(Row)


def row_dump(row: Row) -> str:
    return _ROW.dump_json(row, exclude_defaults=True).decode()


def row_load(data: str) -> Row:
    return _ROW.validate_json(data)
