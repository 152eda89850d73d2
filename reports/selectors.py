"""The figures of the reports, each one SQL aggregation over the frozen order lines.

What counts: the lines of delivered orders of validated distributions, for the quantity handed
over, at the prices frozen on the line (``unit_price`` paid, ``shelf_price``,
``participation_rate``): a product's later price change never changes a report. Each line's
amount is rounded to the cent once, half-up, as ``pricing.line_total`` does for the bag sheets
and the order's total, so "paid" is what the beneficiaries were asked for; the sums are computed
in SQL in whole cents (exact on SQLite too); the number of queries does not depend on the
number of lines.

A period's report reads the lines twice, whatever their number: once summed per order
(``order_figures``: a year of a large grocery is 10,000 rows, not 80,000) and added up in Python
per month, distribution, household and participation band; once per product (``by_product``),
which the categories add up. Each pass over the lines costs more than the Python that adds up
the orders, hence two passes rather than one per table.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Product
from distributions.models import Distribution, OrderLine, OrderStatus
from distributions.pricing import money
from epiclic.collation import collation_key
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


class LineCents(Func):
    """``price × quantity handed over`` in cents, rounded half-up: ``pricing.line_total`` in SQL.

    Computed on whole numbers (cents × thousandths of a unit), so a float database gives the
    exact figure too: 0,93 € × 1,5 kg = 1,40 €, never 1,39 €. Written as plain SQL: the casts
    Django adds around each step of a decimal expression on SQLite cost a third of a report.
    """

    output_field = IntegerField()

    def __init__(self, price: str) -> None:
        super().__init__(F(price), F("delivered_quantity"), F("quantity"))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, Any]:
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, found = compiler.compile(expression)
            parts.append(sql)
            params.extend(found)
        price, delivered, ordered = parts
        cents = f"(ROUND({price} * 100) * ROUND(COALESCE({delivered}, {ordered}) * 1000) + 500)"
        if connection.vendor == "sqlite":
            # Division then truncation of a non-negative number: the floor.
            return f"CAST({cents} / 1000 AS INTEGER)", params
        return f"CAST(FLOOR({cents} / 1000) AS BIGINT)", params


def line_cents(price: str) -> LineCents:
    return LineCents(price)


def paid() -> Sum:
    return Sum(line_cents("unit_price"), output_field=IntegerField(), default=0)


def shelf() -> Sum:
    return Sum(line_cents("shelf_price"), output_field=IntegerField(), default=0)


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


def euros(cents: int | Decimal | None) -> Decimal:
    """Whole cents (``paid()``, ``shelf()``) in euros: the one place sums become money."""
    return money(Decimal(cents or 0) / 100)


@dataclass
class Totals(Amounts):
    households: int = 0
    orders: int = 0
    lines: int = 0


def totals(lines: QuerySet[OrderLine]) -> Totals:
    """The totals counted directly in SQL (the reports add them up from ``order_figures``)."""
    row = lines.aggregate(
        households=Count("order__membership_id", distinct=True),
        orders=Count("order_id", distinct=True),
        lines=Count("id"),
        paid=paid(),
        shelf=shelf(),
    )
    return Totals(
        households=row["households"],
        orders=row["orders"],
        lines=row["lines"],
        paid=euros(row["paid"]),
        shelf_value=euros(row["shelf"]),
    )


# --- Per order, added up in Python ---------------------------------------------------------


class OrderFigures(NamedTuple):
    """The lines of one order at one participation rate (all its lines, unless the rate
    changed while it was open): the grain the period's tables are added up from."""

    order_id: int
    distribution_id: int
    membership_id: int
    rate: Decimal
    lines: int
    paid: int  # cents
    shelf: int  # cents


def order_figures(lines: QuerySet[OrderLine]) -> list[OrderFigures]:
    rows = (
        lines.values_list(
            "order_id", "order__distribution_id", "order__membership_id", "participation_rate"
        )
        .annotate(count=Count("id"), paid=paid(), shelf=shelf())
        .order_by()
    )
    return list(map(OrderFigures._make, rows))


@dataclass
class _Tally:
    """Households, orders, lines and cents of some ``OrderFigures``."""

    households: set[int] = field(default_factory=set)
    orders: set[int] = field(default_factory=set)
    lines: int = 0
    paid: int = 0
    shelf: int = 0

    def amounts(self) -> dict[str, Decimal]:
        return {"paid": euros(self.paid), "shelf_value": euros(self.shelf)}


def _tally(figures: Iterable[OrderFigures], key: Any) -> dict[Any, _Tally]:
    tallies: dict[Any, _Tally] = {}
    for row in figures:  # ten thousand rows a year: written out, no call per row
        group = key(row)
        tally = tallies.get(group)
        if tally is None:
            tally = tallies[group] = _Tally()
        tally.households.add(row.membership_id)
        tally.orders.add(row.order_id)
        tally.lines += row.lines
        tally.paid += row.paid
        tally.shelf += row.shelf
    return tallies


def totals_of(figures: Iterable[OrderFigures]) -> Totals:
    tally = _tally(figures, lambda row: True).get(True, _Tally())
    return Totals(
        households=len(tally.households),
        orders=len(tally.orders),
        lines=tally.lines,
        **tally.amounts(),
    )


@dataclass
class DistributionInfo:
    starts_at: datetime.datetime
    place: str


def distributions_of(figures: Iterable[OrderFigures]) -> dict[int, DistributionInfo]:
    """The date and place of the distributions of ``figures``, in one query."""
    ids = {row.distribution_id for row in figures}
    found = Distribution.objects.filter(pk__in=ids).values_list("pk", "starts_at", "place")
    return {
        pk: DistributionInfo(starts_at=starts_at, place=place) for pk, starts_at, place in found
    }


@dataclass
class BandRow(Amounts):
    band: str = OTHER_BAND  # "10", "20", "30" or "autre"
    households: int = 0
    orders: int = 0


def band_of(rate: Decimal) -> str:
    return str(int(rate)) if rate in BANDS else OTHER_BAND


def by_band(figures: Iterable[OrderFigures]) -> list[BandRow]:
    """Per participation band of the rate frozen on the line; every band, even empty."""
    tallies = _tally(figures, lambda row: band_of(row.rate))
    keys = [str(int(rate)) for rate in BANDS] + [OTHER_BAND]
    return [
        BandRow(
            band=key,
            households=len(tallies[key].households),
            orders=len(tallies[key].orders),
            **tallies[key].amounts(),
        )
        if key in tallies
        else BandRow(band=key)
        for key in keys
    ]


@dataclass
class DistributionRow(Amounts):
    distribution_id: int = 0
    starts_at: datetime.datetime | None = None
    place: str = ""
    households: int = 0
    lines: int = 0


def by_distribution(
    figures: Iterable[OrderFigures], distributions: dict[int, DistributionInfo]
) -> list[DistributionRow]:
    tallies = _tally(figures, lambda row: row.distribution_id)
    rows = [
        DistributionRow(
            distribution_id=pk,
            starts_at=distributions[pk].starts_at,
            place=distributions[pk].place,
            households=len(tally.households),
            lines=tally.lines,
            **tally.amounts(),
        )
        for pk, tally in tallies.items()
    ]
    return sorted(rows, key=lambda row: (row.starts_at, row.distribution_id))


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


def by_beneficiary(figures: list[OrderFigures], *, months: int) -> list[BeneficiaryRow]:
    """Per household, sorted by last then first name (the budget use counts ``months``
    monthly budgets); the names and budgets in one more query."""
    tallies = _tally(figures, lambda row: row.membership_id)
    user = "user__"
    profile = "beneficiary__"
    people = Membership.objects.filter(pk__in=list(tallies)).values_list(
        "pk",
        f"{user}first_name",
        f"{user}last_name",
        f"{user}email",
        f"{profile}card_number",
        f"{profile}monthly_budget",
    )
    rows = []
    for pk, first_name, last_name, email, card_number, budget in sorted(
        people, key=lambda p: (collation_key(p[2]), collation_key(p[1]), p[0])
    ):
        tally = tallies[pk]
        rows.append(
            BeneficiaryRow(
                membership_id=pk,
                name=f"{first_name} {last_name}".strip() or email,
                card_number=card_number or "",
                orders=len(tally.orders),
                monthly_budget=budget,
                budget=None if budget is None else money(budget * months),
                **tally.amounts(),
            )
        )
    return rows


@dataclass
class MonthRow(Amounts):
    month: datetime.date = datetime.date.min
    households: int = 0


def by_month(
    figures: Iterable[OrderFigures],
    distributions: dict[int, DistributionInfo],
    *,
    months: list[datetime.date],
) -> list[MonthRow]:
    """Per calendar month (local time) of ``months``, empty months included."""
    month_of = {
        pk: timezone.localtime(info.starts_at).date().replace(day=1)
        for pk, info in distributions.items()
    }
    tallies = _tally(figures, lambda row: month_of[row.distribution_id])
    return [
        MonthRow(month=first, households=len(tallies[first].households), **tallies[first].amounts())
        if first in tallies
        else MonthRow(month=first)
        for first in months
    ]


# --- Per product ----------------------------------------------------------------------------


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
    category: str = ""
    paid_cents: int = 0
    shelf_cents: int = 0

    @property
    def shortfall(self) -> Decimal:
        return self.ordered - self.delivered


def by_product(lines: QuerySet[OrderLine]) -> list[ProductRow]:
    """Every product handed over or asked for, in one query (the lists below read it)."""
    short = Q(delivered_quantity__lt=F("quantity"))
    # Grouped by the id alone, the names read apart: grouping by the names too costs more.
    rows = list(
        lines.values("product_id")
        .annotate(
            lines=Count("id"),
            ordered=Sum("quantity"),
            delivered=Sum(quantity()),
            short_lines=Count("id", filter=short),
            missing_lines=Count("id", filter=Q(delivered_quantity=0)),
            paid=paid(),
            shelf=shelf(),
        )
        .order_by()
    )
    products = {
        pk: (name, unit, category)
        for pk, name, unit, category in Product.objects.filter(
            pk__in=[row["product_id"] for row in rows]
        ).values_list("pk", "name", "unit", "category")
    }
    return [
        ProductRow(
            product_id=row["product_id"],
            name=products[row["product_id"]][0],
            unit=products[row["product_id"]][1],
            lines=row["lines"],
            ordered=plain(row["ordered"]),
            delivered=plain(row["delivered"]),
            short_lines=row["short_lines"],
            missing_lines=row["missing_lines"],
            category=products[row["product_id"]][2],
            paid_cents=row["paid"] or 0,
            shelf_cents=row["shelf"] or 0,
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
class CategoryRow(Amounts):
    category: str = ""
    unit: str = ""
    quantity: Decimal = ZERO
    lines: int = 0


def by_category(products: list[ProductRow]) -> list[CategoryRow]:
    """Quantities per category and unit (kilograms and pieces are not added together)."""
    groups: dict[tuple[str, str], list[ProductRow]] = {}
    for product in products:
        groups.setdefault((product.category, product.unit), []).append(product)
    return [
        CategoryRow(
            category=category,
            unit=unit,
            quantity=plain(sum((p.delivered for p in group), ZERO)),
            lines=sum(p.lines for p in group),
            paid=euros(sum(p.paid_cents for p in group)),
            shelf_value=euros(sum(p.shelf_cents for p in group)),
        )
        for (category, unit), group in sorted(
            groups.items(), key=lambda item: (collation_key(item[0][0]), item[0][1])
        )
    ]
