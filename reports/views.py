"""The *Rapports* pages: a period's report, a distribution's, a household's statement, exports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from distributions.documents import member_name
from distributions.models import Distribution
from distributions.pricing import member_profile
from epiclic.errors import Refusal
from epiclic.spreadsheets import Table, csv_response, xlsx_response
from reports import periods, selectors
from reports.exports import SECTIONS, band_label, report_tables, unit_label
from reports.periods import Period
from reports.report import Report, distribution_report, month_label, period_report
from shops.access import ShopRequest, access_membership, access_object, manager_view
from shops.models import Membership

FORMATS = ("csv", "xlsx")


def _quick_periods() -> list[tuple[str, Period]]:
    today = timezone.localdate()
    last_month = periods.add_months(today.replace(day=1), -1)
    return [
        (_("Ce mois-ci"), periods.month(today)),
        (_("Le mois dernier"), periods.month(last_month)),
        (_("Ce trimestre"), periods.quarter(today)),
        (_("Cette année"), periods.year(today)),
        (_("L'année dernière"), periods.year(today.replace(year=today.year - 1, day=1))),
    ]


def _refused(request: ShopRequest, refusal: Refusal) -> HttpResponse:
    return render(
        request,
        "reports/report.html",
        {"error": refusal.message, "quick_periods": _quick_periods(), "query": request.GET},
        status=400,
    )


def _download(tables: list[Table], fmt: str, section: str | None, stem: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        raise Http404
    if fmt == "csv":
        # A CSV file holds one table: the summary unless another one is asked for.
        name = section or "synthese"
        return csv_response(tables[0], f"{stem}-{name}.csv")
    return xlsx_response(tables, f"{stem}{'-' + section if section else ''}.xlsx")


def _section(request: ShopRequest, fmt: str) -> str | None:
    section = request.GET.get("tableau") or ("synthese" if fmt == "csv" else None)
    if section is not None and section not in SECTIONS:
        raise Http404
    return section


@manager_view
def report_page(request: ShopRequest) -> HttpResponse:
    try:
        period = periods.period_from_query(request.GET)
    except Refusal as refusal:
        return _refused(request, refusal)
    report = period_report(shop=request.shop, period=period)
    return render(request, "reports/report.html", _context(request, report))


@manager_view
def report_export(request: ShopRequest, fmt: str) -> HttpResponseBase:
    try:
        period = periods.period_from_query(request.GET)
    except Refusal as refusal:
        return _refused(request, refusal)
    section = _section(request, fmt)
    report = period_report(shop=request.shop, period=period)
    stem = f"rapport-{request.shop.slug}-{period.slug}"
    return _download(report_tables(report, section), fmt, section, stem)


@manager_view
def distribution_page(request: ShopRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    report = distribution_report(shop=request.shop, distribution=distribution)
    return render(request, "reports/report.html", _context(request, report))


@manager_view
def distribution_export(request: ShopRequest, pk: int, fmt: str) -> HttpResponseBase:
    distribution = access_object(request.shop, Distribution, pk=pk)
    section = _section(request, fmt)
    if section in ("distributions", "mois"):
        raise Http404
    report = distribution_report(shop=request.shop, distribution=distribution)
    day = timezone.localtime(distribution.starts_at)
    stem = f"rapport-{request.shop.slug}-distribution-{day:%Y-%m-%d}-{distribution.pk}"
    return _download(report_tables(report, section), fmt, section, stem)


def _context(request: ShopRequest, report: Report) -> dict[str, object]:
    slug = request.shop.slug
    if report.distribution is not None:
        query = ""
        urls = {
            fmt: reverse(
                "reports:distribution_export",
                kwargs={"shop_slug": slug, "pk": report.distribution.pk, "fmt": fmt},
            )
            for fmt in FORMATS
        }
    else:
        query = report.period.query if report.period else ""
        urls = {
            fmt: reverse("reports:export", kwargs={"shop_slug": slug, "fmt": fmt})
            for fmt in FORMATS
        }
    return {
        "report": report,
        "query": request.GET,
        "period_query": query,
        "csv_url": f"{urls['csv']}?{query + '&' if query else ''}tableau=",
        "xlsx_url": f"{urls['xlsx']}?{query}" if query else urls["xlsx"],
        "quick_periods": _quick_periods() if report.period else [],
        "bands": [(band_label(row.band), row) for row in report.bands],
        "categories": [(unit_label(row.unit), row) for row in report.categories],
        "months": [(month_label(row.month), row) for row in report.months],
    }


# --- A household's statement --------------------------------------------------------------


@dataclass
class MonthBudget:
    label: str
    row: selectors.MonthRow
    budget: Decimal | None

    @property
    def use(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.row.paid * 100 / self.budget).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class Statement:
    membership: Membership
    name: str
    period: Period
    totals: selectors.Totals
    distributions: list[selectors.DistributionRow]
    months: list[MonthBudget]
    card_number: str
    rate: Decimal | None
    monthly_budget: Decimal | None


def _statement(request: ShopRequest, pk: int) -> Statement:
    """What a household received over the period (the period comes from the query string)."""
    membership = access_membership(request.shop, pk)
    period = periods.period_from_query(request.GET)
    start, end = period.bounds()
    lines = selectors.report_lines(shop=request.shop, start=start, end=end, membership=membership)
    profile = member_profile(membership)
    budget = profile.monthly_budget if profile else None
    figures = selectors.order_figures(lines)
    distributions = selectors.distributions_of(figures)
    return Statement(
        membership=membership,
        name=member_name(membership),
        period=period,
        totals=selectors.totals_of(figures),
        distributions=selectors.by_distribution(figures, distributions),
        months=[
            MonthBudget(label=month_label(row.month), row=row, budget=budget)
            for row in selectors.by_month(figures, distributions, months=period.months())
        ],
        card_number=profile.card_number if profile else "",
        rate=profile.participation_rate if profile else None,
        monthly_budget=budget,
    )


def _statement_tables(statement: Statement) -> list[Table]:
    columns = [_("Date"), _("Lieu"), _("Lignes"), _("Payé (€)"), _("Valeur en rayon (€)")]
    columns.append(_("Aide reçue (€)"))
    distributions = Table(
        _("Distributions"),
        columns,
        [
            [timezone.localtime(r.starts_at) if r.starts_at else None, r.place, r.lines]
            + [r.paid, r.shelf_value, r.aid]
            for r in statement.distributions
        ],
    )
    months = Table(
        _("Budget par mois"),
        [_("Mois"), _("Payé (€)"), _("Aide reçue (€)"), _("Budget (€)"), _("Budget utilisé (%)")],
        [[m.label, m.row.paid, m.row.aid, m.budget, m.use] for m in statement.months],
    )
    return [distributions, months]


@manager_view
def beneficiary_page(request: ShopRequest, pk: int) -> HttpResponse:
    try:
        statement = _statement(request, pk)
    except Refusal as refusal:
        return _refused(request, refusal)
    return render(request, "reports/statement.html", {"statement": statement})


@manager_view
def beneficiary_export(request: ShopRequest, pk: int, fmt: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        raise Http404
    try:
        statement = _statement(request, pk)
    except Refusal as refusal:
        return _refused(request, refusal)
    tables = _statement_tables(statement)
    stem = f"releve-{statement.membership.pk}-{statement.period.slug}"
    if fmt == "csv":
        return csv_response(tables[0], f"{stem}.csv")
    return xlsx_response(tables, f"{stem}.xlsx")
