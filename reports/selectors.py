"""The figures of the reports, each one SQL aggregation over the frozen order lines.

What counts: the lines of delivered orders of validated distributions, for the quantity handed
over, at the prices frozen on the line (``unit_price`` paid, ``shelf_price``,
``participation_rate``): a product's later price change never changes a report. Each line's
amount is rounded to the cent once, half-up, as ``pricing.line_total`` does for the bag sheets
and the order's total, so "paid" is what the beneficiaries were asked for; the sums are computed
in SQL in whole cents (exact on SQLite too); the number of queries does not depend on the
number of lines.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from distributions.models import Distribution, OrderLine, OrderStatus
from distributions.pricing import money
from reports.periods import add_months
from shops.models import Membership, Shop

ZERO = Decimal("0")
NO_MONEY = Decimal("0.00")
TOP = 10
BANDS = (Decimal("10"), Decimal("20"), Decimal("30"))
OTHER_BAND = "autre"


# Fresh expressions for each query (an expression object is not shared between queries).
def quantity() -> Coalesce:
    """The quantity handed over (validation sets it; as ordered if it is still empty)."""
    return Coalesce("delivered_quantity", "quantity")


class _Floor(Func):
    """The whole part of a non-negative number, in SQL (no Python function on SQLite)."""

    function = "FLOOR"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS INTEGER)")


def line_cents(price: str) -> _Floor:
    """``price × quantity`` in cents, rounded half-up: ``pricing.line_total`` in SQL.

    Computed on whole numbers (cents × thousandths of a unit), so a float database gives the
    exact figure too: 0,93 € × 1,5 kg = 1,40 €, never 1,39 €.
    """
    cents = Round(F(price) * 100)
    thousandths = Round(quantity() * 1000)
    return _Floor((cents * thousandths + 500) / 1000)


def paid() -> Sum:
    return Sum(line_cents("unit_price"), output_field=IntegerField(), default=0)


def shelf() -> Sum:
    return Sum(line_cents("shelf_price"), output_field=IntegerField(), default=0)


def households() -> Count:
    return Count("order__membership_id", distinct=True)


def orders() -> Count:
    return Count("order_id", distinct=True)


def report_lines(
    *,
    shop: Shop,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    distribution: Distribution | None = None,
    membership: Membership | None = None,
) -> QuerySet[OrderLine]:
    """The lines a report counts: delivered, validated, of ``shop``, within the bounds."""
    lines = OrderLine.objects.filter(
        order__shop=shop,
        order__status=OrderStatus.DELIVERED,
        order__distribution__validated_at__isnull=False,
    )
    if start is not None:
        lines = lines.filter(order__distribution__starts_at__gte=start)
    if end is not None:
        lines = lines.filter(order__distribution__starts_at__lt=end)
    if distribution is not None:
        lines = lines.filter(order__distribution=distribution)
    if membership is not None:
        lines = lines.filter(order__membership=membership)
    return lines


@dataclass
class Amounts:
    """Money of a group of lines: paid by the beneficiaries, at shelf price, and the aid."""

    paid: Decimal = NO_MONEY
    shelf_value: Decimal = NO_MONEY

    @property
    def aid(self) -> Decimal:
        return self.shelf_value - self.paid

    @property
    def rate(self) -> Decimal | None:
        """The share of the shelf value paid, in % (one decimal): the average participation
        rate weighted by what was handed over."""
        if not self.shelf_value:
            return None
        return (self.paid * 100 / self.shelf_value).quantize(Decimal("0.1"), ROUND_HALF_UP)


def plain(value: Decimal | None) -> Decimal:
    """A quantity without trailing zeros nor exponent: ``2.5``, ``100``, ``0.125``."""
    value = Decimal(value or 0)
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def _amounts(row: dict[str, Any]) -> dict[str, Decimal]:
    """The amounts of a row of ``paid()`` and ``shelf()``, whole cents, in euros."""
    return {
        "paid": money(Decimal(row["paid"] or 0) / 100),
        "shelf_value": money(Decimal(row["shelf"] or 0) / 100),
    }


@dataclass
class Totals(Amounts):
    households: int = 0
    orders: int = 0
    lines: int = 0


def totals(lines: QuerySet[OrderLine]) -> Totals:
    row = lines.aggregate(
        households=households(), orders=orders(), lines=Count("id"), paid=paid(), shelf=shelf()
    )
    return Totals(
        households=row["households"], orders=row["orders"], lines=row["lines"], **_amounts(row)
    )


@dataclass
class BandRow(Amounts):
    band: str = OTHER_BAND  # "10", "20", "30" or "autre"
    households: int = 0
    orders: int = 0


def by_band(lines: QuerySet[OrderLine]) -> list[BandRow]:
    """Per participation band of the rate frozen on the line; every band, even empty."""
    band = Case(
        *[When(participation_rate=rate, then=Value(str(int(rate)))) for rate in BANDS],
        default=Value(OTHER_BAND),
        output_field=CharField(),
    )
    found = {
        row["band"]: BandRow(
            band=row["band"], households=row["households"], orders=row["orders"], **_amounts(row)
        )
        for row in lines.annotate(band=band)
        .values("band")
        .annotate(households=households(), orders=orders(), paid=paid(), shelf=shelf())
        .order_by()
    }
    keys = [str(int(rate)) for rate in BANDS] + [OTHER_BAND]
    return [found.get(key, BandRow(band=key)) for key in keys]


@dataclass
class CategoryRow(Amounts):
    category: str = ""
    unit: str = ""
    quantity: Decimal = ZERO
    lines: int = 0


def by_category(lines: QuerySet[OrderLine]) -> list[CategoryRow]:
    """Quantities per category and unit (kilograms and pieces are not added together)."""
    rows = (
        lines.values("product__category", "product__unit")
        .annotate(handed_over=Sum(quantity()), lines=Count("id"), paid=paid(), shelf=shelf())
        .order_by("product__category", "product__unit")
    )
    return [
        CategoryRow(
            category=row["product__category"],
            unit=row["product__unit"],
            quantity=plain(row["handed_over"]),
            lines=row["lines"],
            **_amounts(row),
        )
        for row in rows
    ]


@dataclass
class DistributionRow(Amounts):
    distribution_id: int = 0
    starts_at: datetime.datetime | None = None
    place: str = ""
    households: int = 0
    lines: int = 0


def by_distribution(lines: QuerySet[OrderLine]) -> list[DistributionRow]:
    rows = (
        lines.values(
            "order__distribution_id",
            "order__distribution__starts_at",
            "order__distribution__place",
        )
        .annotate(households=households(), lines=Count("id"), paid=paid(), shelf=shelf())
        .order_by("order__distribution__starts_at", "order__distribution_id")
    )
    return [
        DistributionRow(
            distribution_id=row["order__distribution_id"],
            starts_at=row["order__distribution__starts_at"],
            place=row["order__distribution__place"],
            households=row["households"],
            lines=row["lines"],
            **_amounts(row),
        )
        for row in rows
    ]


@dataclass
class BeneficiaryRow(Amounts):
    membership_id: int = 0
    name: str = ""
    card_number: str = ""
    orders: int = 0
    monthly_budget: Decimal | None = None
    budget: Decimal | None = None  # the budget over the period's months

    @property
    def budget_use(self) -> Decimal | None:
        """What was paid, in % of the budget over the period (one decimal)."""
        if not self.budget:
            return None
        return (self.paid * 100 / self.budget).quantize(Decimal("0.1"), ROUND_HALF_UP)


def by_beneficiary(
    lines: QuerySet[OrderLine], *, months: int
) -> tuple[list[BeneficiaryRow], Totals]:
    """Per household, sorted by name (the budget use counts ``months`` monthly budgets), and
    the totals, added up from the same query: an order belongs to one household, so the
    households, orders and lines add up exactly, and the amounts are rounded once."""
    user = "order__membership__user__"
    profile = "order__membership__beneficiary__"
    rows = (
        lines.values(
            "order__membership_id",
            f"{user}first_name",
            f"{user}last_name",
            f"{user}email",
            f"{profile}card_number",
            f"{profile}monthly_budget",
        )
        .annotate(orders=orders(), lines=Count("id"), paid=paid(), shelf=shelf())
        .order_by(f"{user}last_name", f"{user}first_name", "order__membership_id")
    )
    result = []
    order_count = line_count = 0
    paid_sum = shelf_sum = 0
    for row in rows:
        order_count += row["orders"]
        line_count += row["lines"]
        paid_sum += row["paid"] or 0
        shelf_sum += row["shelf"] or 0
        name = f"{row[f'{user}first_name']} {row[f'{user}last_name']}".strip()
        budget = row[f"{profile}monthly_budget"]
        result.append(
            BeneficiaryRow(
                membership_id=row["order__membership_id"],
                name=name or row[f"{user}email"],
                card_number=row[f"{profile}card_number"] or "",
                orders=row["orders"],
                monthly_budget=budget,
                budget=None if budget is None else money(budget * months),
                **_amounts(row),
            )
        )
    totals = Totals(
        households=len(result),
        orders=order_count,
        lines=line_count,
        **_amounts({"paid": paid_sum, "shelf": shelf_sum}),
    )
    return result, totals


@dataclass
class ProductRow:
    product_id: int
    name: str
    unit: str
    lines: int  # orders that asked for it
    ordered: Decimal
    delivered: Decimal
    short_lines: int = 0  # lines handed over short, missing included
    missing_lines: int = 0  # lines not handed over at all

    @property
    def shortfall(self) -> Decimal:
        return self.ordered - self.delivered


def by_product(lines: QuerySet[OrderLine]) -> list[ProductRow]:
    """Every product handed over or asked for, in one query (the two lists below read it)."""
    short = Q(delivered_quantity__lt=F("quantity"))
    rows = lines.values("product_id", "product__name", "product__unit").annotate(
        lines=Count("id"),
        ordered=Sum("quantity"),
        delivered=Sum(quantity()),
        short_lines=Count("id", filter=short),
        missing_lines=Count("id", filter=Q(delivered_quantity=0)),
    )
    return [
        ProductRow(
            product_id=row["product_id"],
            name=row["product__name"],
            unit=row["product__unit"],
            lines=row["lines"],
            ordered=plain(row["ordered"]),
            delivered=plain(row["delivered"]),
            short_lines=row["short_lines"],
            missing_lines=row["missing_lines"],
        )
        for row in rows
    ]


def most_ordered(products: list[ProductRow]) -> list[ProductRow]:
    """The products in the most orders."""
    return sorted(products, key=lambda p: (-p.lines, p.name, p.product_id))[:TOP]


def most_short(products: list[ProductRow]) -> list[ProductRow]:
    """The products most often missing or handed over short."""
    short = [p for p in products if p.short_lines]
    return sorted(short, key=lambda p: (-p.short_lines, -p.missing_lines, p.name))[:TOP]


@dataclass
class MonthRow(Amounts):
    month: datetime.date = datetime.date.min
    households: int = 0


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time()), timezone.get_current_timezone()
    )


def by_month(lines: QuerySet[OrderLine], *, months: list[datetime.date]) -> list[MonthRow]:
    """Per calendar month (local time) of ``months``, empty months included.

    The month is found by comparing the distribution's date with each month's bounds in SQL
    (SQLite's date truncation calls Python once per line: slower by a second on 80,000).
    """
    starts = "order__distribution__starts_at"
    month = Case(
        *[
            When(
                **{
                    f"{starts}__gte": _local_midnight(first),
                    f"{starts}__lt": _local_midnight(add_months(first, 1)),
                },
                then=Value(first.isoformat()),
            )
            for first in months
        ],
        default=Value(""),
        output_field=CharField(),
    )
    rows = (
        lines.annotate(month=month)
        .values("month")
        .annotate(households=households(), paid=paid(), shelf=shelf())
        .order_by("month")
    )
    found = {row["month"]: row for row in rows}
    return [
        MonthRow(
            month=first,
            households=found[first.isoformat()]["households"],
            **_amounts(found[first.isoformat()]),
        )
        if first.isoformat() in found
        else MonthRow(month=first)
        for first in months
    ]
