"""A report: every figure of a period or of one distribution, and its charts.

The sections are read once here and shown by the page, the CSV and the XLSX alike
(``reports.exports``), so a downloaded figure is the figure on screen.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from distributions.models import Distribution, OrderLine
from reports import selectors
from reports.charts import Chart, bar_chart
from reports.periods import Period, add_months
from shops.models import Shop

CHART_MIN_MONTHS = 12
CHART_MAX_MONTHS = 60


@dataclass
class Report:
    totals: selectors.Totals
    bands: list[selectors.BandRow]
    categories: list[selectors.CategoryRow]
    beneficiaries: list[selectors.BeneficiaryRow]
    most_ordered: list[selectors.ProductRow]
    most_short: list[selectors.ProductRow]
    period: Period | None = None
    distribution: Distribution | None = None
    distributions: list[selectors.DistributionRow] = field(default_factory=list)
    months: list[selectors.MonthRow] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.totals.lines == 0


def chart_months(period: Period) -> list[datetime.date]:
    """The period's months; a short period is shown within the twelve months up to its end."""
    months = period.months()
    if len(months) < CHART_MIN_MONTHS:
        last = months[-1]
        months = [add_months(last, n) for n in range(1 - CHART_MIN_MONTHS, 1)]
    return months[-CHART_MAX_MONTHS:]


def month_label(first: datetime.date) -> str:
    return formats.date_format(first, "N Y")


def _charts(months: list[selectors.MonthRow]) -> list[Chart]:
    first, last = month_label(months[0].month), month_label(months[-1].month)
    return [
        bar_chart(
            title=_("Aide apportée par mois (€)"),
            description=_("Aide apportée (valeur en rayon moins montant payé), de %(a)s à %(b)s.")
            % {"a": first, "b": last},
            points=[
                (month_label(row.month), row.aid, formats.number_format(row.aid, 2))
                for row in months
            ],
        ),
        bar_chart(
            title=_("Foyers servis par mois"),
            description=_("Nombre de foyers servis, de %(a)s à %(b)s.") % {"a": first, "b": last},
            points=[
                (month_label(row.month), row.households, str(row.households)) for row in months
            ],
        ),
    ]


def _sections(
    figures: list[selectors.OrderFigures], lines: QuerySet[OrderLine], *, budget_months: int
) -> dict[str, Any]:
    products = selectors.by_product(lines)
    return {
        "totals": selectors.totals_of(figures),
        "bands": selectors.by_band(figures),
        "categories": selectors.by_category(products),
        "beneficiaries": selectors.by_beneficiary(figures, months=budget_months),
        "most_ordered": selectors.most_ordered(products),
        "most_short": selectors.most_short(products),
    }


def period_report(*, shop: Shop, period: Period) -> Report:
    """Four queries whatever the number of lines: the orders' figures (over the period and
    the chart's months at once), their distributions, their households, the products."""
    start, end = period.bounds()
    months = chart_months(period)
    chart_period = Period(months[0], add_months(months[-1], 1) - datetime.timedelta(days=1))
    chart_start, chart_end = chart_period.bounds()
    figures = selectors.order_figures(
        selectors.report_lines(shop=shop, start=min(start, chart_start), end=max(end, chart_end))
    )
    distributions = selectors.distributions_of(figures)
    in_period = {pk for pk, info in distributions.items() if start <= info.starts_at < end}
    by_month = selectors.by_month(figures, distributions, months=months)
    figures = [row for row in figures if row.distribution_id in in_period]
    return Report(
        period=period,
        distributions=selectors.by_distribution(figures, distributions),
        months=by_month,
        charts=_charts(by_month),
        **_sections(
            figures,
            selectors.report_lines(shop=shop, start=start, end=end),
            budget_months=len(period.months()),
        ),
    )


def distribution_report(*, shop: Shop, distribution: Distribution) -> Report:
    lines = selectors.report_lines(shop=shop, distribution=distribution)
    figures = selectors.order_figures(lines)
    return Report(distribution=distribution, **_sections(figures, lines, budget_months=1))
