"""Files for spreadsheets: CSV in French form and XLSX, written from plain rows.

One writer for every export (products, a distribution's lines, the reports): a French
spreadsheet opens the CSV without a wizard (UTF-8 BOM, ``;`` separator, decimal comma), and
the XLSX keeps numbers as numbers.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

Cell = str | int | Decimal | datetime.date | None

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Table:
    """One sheet: a title (the XLSX sheet's name), column headings and rows of cells."""

    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Cell]]


# A text cell beginning with one of these is run as a formula by spreadsheets (OWASP, "CSV
# Injection"): such a cell is written after a "'", which the spreadsheet shows as text. A text
# that begins with "'" gets one more, so that reading back removes exactly the one added.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def formula_quote(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def formula_unquote(text: str) -> str:
    """The text ``formula_quote`` was given (what an import reads back from our export)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def french_cell(value: Cell) -> str:
    """A cell as a French spreadsheet reads it: ``2,99``, ``31/12/2026``, ``""`` for None;
    text that a spreadsheet would run as a formula is quoted (``formula_quote``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return formula_quote(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local:%d/%m/%Y %H:%M}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The lines of a French CSV file, the first with the BOM, one at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(columns)
    yield "\ufeff" + flush()
    for row in rows:
        writer.writerow([french_cell(cell) for cell in row])
        yield flush()


def csv_response(table: Table, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(table.columns, table.rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _sheet_title(title: str, taken: set[str]) -> str:
    # Excel refuses these characters and names over 31 characters or used twice.
    name = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Feuille"
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _xlsx_cell(value: Cell) -> Cell:
    # Excel has no time zones: a moment is written as the local (shop's) time it shows.
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _xlsx_text(sheet: Any, value: Cell) -> Any:
    # openpyxl writes a text beginning with "=" as a formula: keep it a plain text cell.
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_bytes(tables: Iterable[Table]) -> bytes:
    """A workbook with one sheet per table (openpyxl's write-only mode: rows are streamed)."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for table in tables:
        sheet: Any = workbook.create_sheet(_sheet_title(table.title, taken))
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append([_xlsx_text(sheet, _xlsx_cell(cell)) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(tables: Iterable[Table], filename: str) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(tables), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
