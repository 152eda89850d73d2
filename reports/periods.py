"""The period a report covers: a month, a quarter, a year or chosen dates.

Read from the page's query string (``mois=2026-11``, ``trimestre=2026-T4``, ``annee=2026``,
``du=…&au=…``), in the shop's time zone (the active one in a shop view). A malformed date, an
end before the start or a period over five years is refused with a French message.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from epiclic.errors import Refusal

MAX_YEARS = 5
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"(\d{4})-[TtQq]([1-4])")
_YEAR = re.compile(r"\d{4}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # included
    kind: str = "dates"  # mois, trimestre, annee or dates

    @property
    def label(self) -> str:
        if self.kind == "mois":
            return formats.date_format(self.start, "F Y")
        if self.kind == "trimestre":
            return _("%(n)se trimestre %(year)s") % {
                "n": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        if self.kind == "annee":
            return str(self.start.year)
        return _("du %(start)s au %(end)s") % {
            "start": self.start.strftime("%d/%m/%Y"),
            "end": self.end.strftime("%d/%m/%Y"),
        }

    @property
    def slug(self) -> str:
        """A short name for files: ``2026-11``, ``2026-T4``, ``2026``, ``2026-11-01_2026-11-30``."""
        if self.kind == "mois":
            return f"{self.start:%Y-%m}"
        if self.kind == "trimestre":
            return f"{self.start.year}-T{(self.start.month - 1) // 3 + 1}"
        if self.kind == "annee":
            return str(self.start.year)
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"

    @property
    def query(self) -> str:
        """The query string that gives this period back."""
        if self.kind == "dates":
            return urlencode({"du": f"{self.start:%Y-%m-%d}", "au": f"{self.end:%Y-%m-%d}"})
        return urlencode({self.kind: self.slug})

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """From the first day's midnight to the midnight after the last day, local time."""
        tz = timezone.get_current_timezone()
        after = self.end + datetime.timedelta(days=1)
        return (
            timezone.make_aware(datetime.datetime.combine(self.start, datetime.time()), tz),
            timezone.make_aware(datetime.datetime.combine(after, datetime.time()), tz),
        )

    def months(self) -> list[datetime.date]:
        """The first day of each calendar month the period touches."""
        first = self.start.replace(day=1)
        months = []
        while first <= self.end:
            months.append(first)
            first = add_months(first, 1)
        return months


def add_months(day: datetime.date, count: int) -> datetime.date:
    """The first day of the month ``count`` months after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def month(day: datetime.date) -> Period:
    start = day.replace(day=1)
    return Period(start, add_months(start, 1) - datetime.timedelta(days=1), "mois")


def quarter(day: datetime.date) -> Period:
    start = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(start, add_months(start, 3) - datetime.timedelta(days=1), "trimestre")


def year(day: datetime.date) -> Period:
    return Period(datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31), "annee")


def _malformed(text: str) -> Refusal:
    return Refusal(
        _(
            "« %(text)s » n'est pas une date valide : écrivez-la JJ/MM/AAAA "
            "(par exemple 31/01/2026)."
        )
        % {"text": text[:40]},
        code="bad_date",
    )


def _date(year_text: str, month_text: str, day_text: str, original: str) -> datetime.date:
    try:
        value = datetime.date(int(year_text), int(month_text), int(day_text))
    except ValueError:
        raise _malformed(original) from None
    if not 2000 <= value.year <= 2100:
        raise _malformed(original)
    return value


def parse_date(text: str) -> datetime.date:
    """``2026-01-31`` (the date field's form) or ``31/01/2026``; anything else is refused."""
    text = text.strip()
    if found := _ISO_DATE.fullmatch(text):
        year_text, month_text, day = found.groups()
        return _date(year_text, month_text, day, original=text)
    if found := _FRENCH_DATE.fullmatch(text):
        day, month_text, year_text = found.groups()
        return _date(year_text, month_text, day, original=text)
    raise _malformed(text)


def period_from_query(query: QueryDict, *, today: datetime.date | None = None) -> Period:
    """The period the query string asks for; this month when it asks for none."""
    today = today or timezone.localdate()
    if text := query.get("mois", "").strip():
        if not (found := _MONTH.fullmatch(text)):
            raise _malformed(text)
        return month(_date(found[1], found[2], "1", original=text))
    if text := query.get("trimestre", "").strip():
        if not (found := _QUARTER.fullmatch(text)):
            raise _malformed(text)
        return quarter(_date(found[1], str(int(found[2]) * 3 - 2), "1", original=text))
    if text := query.get("annee", "").strip():
        if not _YEAR.fullmatch(text):
            raise _malformed(text)
        return year(_date(text, "1", "1", original=text))
    start_text, end_text = query.get("du", "").strip(), query.get("au", "").strip()
    if not start_text and not end_text:
        return month(today)
    if not start_text or not end_text:
        raise Refusal(_("Indiquez une date de début et une date de fin."), code="bad_period")
    start, end = parse_date(start_text), parse_date(end_text)
    if end < start:
        raise Refusal(
            _("La date de fin (%(end)s) est avant la date de début (%(start)s).")
            % {"end": end.strftime("%d/%m/%Y"), "start": start.strftime("%d/%m/%Y")},
            code="bad_period",
        )
    try:
        limit = start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + MAX_YEARS, day=28)
    if end >= limit:
        raise Refusal(
            _("Une période ne peut pas dépasser %(years)s ans : choisissez des dates plus proches.")
            % {"years": MAX_YEARS},
            code="bad_period",
        )
    return Period(start, end, "dates")
