"""Reads of stored plans: a page of rows for the preview, the rows an apply writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.core.paginator import Page, Paginator

from imports.models import ImportPlan, PlanRow
from imports.rows import TO_APPLY, Row, RowStatus, row_load


@dataclass(slots=True)
class ShownRow:
    row: Row
    kept: bool

    @property
    def selectable(self) -> bool:
        return self.row.status in TO_APPLY


class _StoredRows:
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

    def count(self) -> int:
        return self.length

    def __getitem__(self, window: slice) -> list[ShownRow]:
        stored = self.rows.values_list("data", "kept")[window]
        return [ShownRow(row_load(data), kept) for data, kept in stored]


def plan_page(
    plan: ImportPlan, *, status: str | None, number: str | int | None, per_page: int
) -> Page:
    """One page of the plan's rows (of one status when ``status`` is given), as ``ShownRow``."""
    if status not in RowStatus.__members__.values():
        status = None
    return Paginator(_StoredRows(plan, status), per_page).get_page(number)  # type: ignore[arg-type]


def page_rows(page: Page) -> list[ShownRow]:
    """The rows of a page made by ``plan_page``."""
    return cast(list[ShownRow], page.object_list)


def plan_rows(plan: ImportPlan) -> list[Row]:
    """Every row of a plan, in order (tests and small plans; pages use ``plan_page``)."""
    stored = PlanRow.objects.filter(plan=plan).order_by("i").values_list("data", flat=True)
    return [row_load(data) for data in stored]


def rows_to_apply(plan: ImportPlan, *, after: int, limit: int | None = None) -> list[Row]:
    """The kept rows that write something, after index ``after``, in order."""
    stored = (
        PlanRow.objects.filter(plan=plan, i__gt=after, status__in=TO_APPLY, kept=True)
        .order_by("i")
        .values_list("data", flat=True)
    )
    return [row_load(data) for data in (stored[:limit] if limit else stored)]


def opted_out_count(plan: ImportPlan) -> int:
    return PlanRow.objects.filter(plan=plan, status__in=TO_APPLY, kept=False).count()
