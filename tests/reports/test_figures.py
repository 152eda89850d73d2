"""Report figures checked against a scenario computed by hand.

March (validated): Alice 10 % riz 2 × 0,20 + lait 4 × 0,10 = 0,80 € (rayon 8,00 €);
Bruno 30 % riz 1 × 0,60 + pommes 1,5 kg (2 commandés) × 0,90 = 1,95 € (rayon 6,50 €);
Chloé 50 % lait 2 manquants + riz 3 × 1,00 = 3,00 € (rayon 6,00 €).
April (validated): Alice pommes 1 × 0,30 € (rayon 3,00 €); Chloé riz 1 × 1,00 € (rayon 2,00 €);
Bruno's order cancelled. A distribution not validated and another grocery never count.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from reports.periods import Period, month, year
from reports.report import period_report

D = Decimal
MARCH_APRIL = Period(datetime.date(2026, 3, 1), datetime.date(2026, 4, 30))


@pytest.fixture(autouse=True)
def paris():
    with timezone.override("Europe/Paris"):
        yield


def test_totals_over_two_months(scenario, shop):
    totals = period_report(shop=shop, period=MARCH_APRIL).totals
    assert (totals.households, totals.orders, totals.lines) == (3, 5, 8)
    assert totals.paid == D("7.05")
    assert totals.shelf_value == D("25.50")
    assert totals.aid == D("18.45")
    assert totals.rate == D("27.6")


def test_a_month_counts_its_own_distributions(scenario, shop):
    march = period_report(shop=shop, period=month(datetime.date(2026, 3, 1))).totals
    assert (march.households, march.orders, march.paid, march.aid) == (3, 3, D("5.75"), D("14.75"))
    april = period_report(shop=shop, period=month(datetime.date(2026, 4, 1))).totals
    assert (april.households, april.orders, april.paid, april.aid) == (2, 2, D("1.30"), D("3.70"))


def test_participation_bands(scenario, shop):
    bands = {row.band: row for row in period_report(shop=shop, period=MARCH_APRIL).bands}
    assert list(bands) == ["10", "20", "30", "autre"]
    assert (bands["10"].households, bands["10"].orders) == (1, 2)
    assert (bands["10"].paid, bands["10"].shelf_value, bands["10"].aid) == (
        D("1.10"),
        D("11.00"),
        D("9.90"),
    )
    assert bands["20"].orders == 0 and bands["20"].aid == 0
    assert (bands["30"].paid, bands["30"].aid) == (D("1.95"), D("4.55"))
    assert (bands["autre"].orders, bands["autre"].paid, bands["autre"].aid) == (
        2,
        D("4.00"),
        D("4.00"),
    )


def test_quantities_by_category_and_unit(scenario, shop):
    categories = {
        (row.category, row.unit): row.quantity
        for row in period_report(shop=shop, period=MARCH_APRIL).categories
    }
    assert categories == {
        ("Épicerie", "piece"): D("7"),
        ("Frais", "piece"): D("4"),
        ("Fruits", "kg"): D("2.5"),
    }


def test_per_beneficiary_with_budget_use(scenario, shop):
    rows = period_report(shop=shop, period=MARCH_APRIL).beneficiaries
    assert [row.name for row in rows] == ["Alice Bernard", "Bruno Durand", "Chloé Martin"]
    alice, bruno, chloe = rows
    assert (alice.orders, alice.paid, alice.aid) == (2, D("1.10"), D("9.90"))
    assert alice.budget == D("100.00") and alice.budget_use == D("1.1")  # 2 months × 50 €
    assert (bruno.orders, bruno.paid, bruno.aid, bruno.budget_use) == (
        1,
        D("1.95"),
        D("4.55"),
        D("4.9"),
    )
    assert chloe.budget_use is None


def test_products_most_ordered_and_short(scenario, shop):
    report = period_report(shop=shop, period=MARCH_APRIL)
    assert [(p.name, p.lines) for p in report.most_ordered] == [
        ("Riz", 4),
        ("Lait", 2),
        ("Pommes", 2),
    ]
    assert [(p.name, p.short_lines, p.missing_lines, p.shortfall) for p in report.most_short] == [
        ("Lait", 1, 1, D("2")),
        ("Pommes", 1, 0, D("0.5")),
    ]


def test_months_for_the_chart(scenario, shop):
    report = period_report(shop=shop, period=year(datetime.date(2026, 1, 1)))
    months = {row.month: row for row in report.months}
    assert len(report.months) == 12
    assert months[datetime.date(2026, 3, 1)].aid == D("14.75")
    assert months[datetime.date(2026, 4, 1)].households == 2
    assert months[datetime.date(2026, 5, 1)].aid == 0
    assert [len(chart.bars) for chart in report.charts] == [12, 12]


def test_a_short_period_is_charted_within_the_last_twelve_months(scenario, shop):
    report = period_report(shop=shop, period=month(datetime.date(2026, 4, 1)))
    assert report.months[0].month == datetime.date(2025, 5, 1)
    assert report.months[-1].month == datetime.date(2026, 4, 1)
    assert report.months[-2].aid == D("14.75")


def test_figures_never_change_when_prices_change_later(scenario, shop):
    before = period_report(shop=shop, period=MARCH_APRIL).totals
    scenario.rice.price = D("5.00")
    scenario.rice.save()
    scenario.bruno.participation_rate = D("100")
    scenario.bruno.save()
    after = period_report(shop=shop, period=MARCH_APRIL).totals
    assert (after.paid, after.shelf_value, after.aid) == (
        before.paid,
        before.shelf_value,
        before.aid,
    )


def test_another_groceries_orders_never_count(scenario, shop, other_shop):
    report = period_report(shop=shop, period=MARCH_APRIL)
    assert "Intrus Ailleurs" not in [row.name for row in report.beneficiaries]
    assert "Café d'ailleurs" not in [row.name for row in report.most_ordered]
    theirs = period_report(shop=other_shop, period=MARCH_APRIL).totals
    assert (theirs.households, theirs.paid, theirs.shelf_value) == (1, D("8.10"), D("27.00"))


def test_totals_added_up_from_the_households_equal_a_direct_count(scenario, shop):
    from reports.selectors import report_lines, totals

    start, end = MARCH_APRIL.bounds()
    direct = totals(report_lines(shop=shop, start=start, end=end))
    assert period_report(shop=shop, period=MARCH_APRIL).totals == direct


def test_each_line_is_rounded_as_the_bag_sheet_shows_it(shop, manager):
    """0,93 € × 1,5 kg = 1,395 € is asked as 1,40 € on each bag: two bags make 2,80 €."""
    from distributions.models import Order
    from tests.factories import make_beneficiary, make_product
    from tests.reports.conftest import validated

    apples = make_product(shop=shop, name="Pommes", price="3.10", unit="kg", stock="100")
    people = [make_beneficiary(shop=shop, participation_rate="30") for _n in range(2)]
    validated(
        shop=shop,
        day=datetime.date(2026, 5, 5),
        user=manager,
        orders=[(person, {apples: ("1.5", None)}) for person in people],
    )
    totals = period_report(shop=shop, period=month(datetime.date(2026, 5, 1))).totals
    assert totals.paid == sum(order.total for order in Order.objects.filter(shop=shop))
    assert (totals.paid, totals.shelf_value, totals.aid) == (D("2.80"), D("9.30"), D("6.50"))


def test_an_order_whose_lines_carry_two_rates_counts_once(shop, manager):
    """The per-order figures are split by the rate frozen on each line: the order still counts
    once in the totals and for its household, and in each band it has lines in."""
    from distributions.models import OrderLine
    from tests.factories import make_beneficiary, make_product
    from tests.reports.conftest import validated

    rice = make_product(shop=shop, name="Riz", price="2.00", stock="100")
    tea = make_product(shop=shop, name="Thé", price="1.00", stock="100")
    person = make_beneficiary(shop=shop, participation_rate="10")
    distribution = validated(
        shop=shop,
        day=datetime.date(2026, 6, 2),
        user=manager,
        orders=[(person, {rice: (1, None), tea: (1, None)})],
    )
    OrderLine.objects.filter(order__distribution=distribution, product=tea).update(
        participation_rate=D("30"), unit_price=D("0.30")
    )
    report = period_report(shop=shop, period=month(datetime.date(2026, 6, 1)))
    assert (report.totals.households, report.totals.orders, report.totals.lines) == (1, 1, 2)
    assert report.totals.paid == D("0.50")  # 0,20 + 0,30
    assert [row.orders for row in report.beneficiaries] == [1]
    bands = {row.band: (row.orders, row.paid) for row in report.bands}
    assert bands["10"] == (1, D("0.20")) and bands["30"] == (1, D("0.30"))
    assert [row.households for row in report.distributions] == [1]
