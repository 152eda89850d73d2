"""Reads of stored plans: a page of rows for the preview, the rows an apply writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from django.core.paginator import Page, Paginator

from imports.models import ImportPlan, PlanRow
from imports.rows import TO_APPLY, Row, RowStatus, row_load


@dataclass(slots=True)
class ShownRow:
    row: Row
    kept: bool
    # A link proposed on a name alone that the manager declined (``Row.proposed_link``).
    declined: bool = False

    @property
    def selectable(self) -> bool:
        return self.row.status in TO_APPLY


class _StoredRows(Sequence[ShownRow]):
    """The rows of a plan as the paginator sees them: a known length, slices read on demand.

    The length comes from the plan's counts, so a page costs one query whatever the plan's
    size (no COUNT over a hundred thousand rows).
    """

    def __init__(self, plan: ImportPlan, status: str | None) -> None:
        self.rows = PlanRow.objects.filter(plan=plan).order_by("i")
        if status:
            self.rows = self.rows.filter(status=status)
        self.length = plan.counts.get(status, 0) if status else plan.row_count

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> ShownRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[ShownRow]: ...

    def __getitem__(self, index: int | slice) -> ShownRow | list[ShownRow]:
        window = index if isinstance(index, slice) else slice(index, index + 1)
        stored = self.rows.values_list("data", "kept", "declined")[window]
        shown = [ShownRow(row_load(data), kept, declined) for data, kept, declined in stored]
        if isinstance(index, slice):
            return shown
        if not shown:
            raise IndexError(index)
        return shown[0]


def plan_page(
    plan: ImportPlan, *, status: str | None, number: str | int | None, per_page: int
) -> Page[ShownRow]:
    """One page of the plan's rows (of one status when ``status`` is given), as ``ShownRow``."""
    if status not in RowStatus.__members__.values():
        status = None
    return Paginator(_StoredRows(plan, status), per_page).get_page(number)


def plan_rows(plan: ImportPlan) -> list[Row]:
    """Every row of a plan, in order (tests and small plans; pages use ``plan_page``)."""
    stored = PlanRow.objects.filter(plan=plan).order_by("i").values_list("data", flat=True)
    return [row_load(data) for data in stored]


def rows_to_apply(plan: ImportPlan, *, after: int, limit: int | None = None) -> list[Row]:
    """The kept rows that write something, after index ``after``, in order; a link proposed
    on a name alone that the manager declined is the new object it would otherwise be."""
    stored = (
        PlanRow.objects.filter(plan=plan, i__gt=after, status__in=TO_APPLY, kept=True)
        .order_by("i")
        .values_list("data", "declined")
    )
    rows = [(row_load(data), declined) for data, declined in (stored[:limit] if limit else stored)]
    return [row.declined() if declined and row.declinable else row for row, declined in rows]


def opted_out_count(plan: ImportPlan) -> int:
    return PlanRow.objects.filter(plan=plan, status__in=TO_APPLY, kept=False).count()
