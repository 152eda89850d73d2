"""The Rapports pages: tenancy, periods, exports, a constant number of queries."""

from __future__ import annotations

import csv
import datetime
import html
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from distributions.services import distribution_validate
from reports.periods import parse_date, period_from_query
from tests.factories import make_beneficiary, make_distribution, make_order, make_product
from tests.reports.conftest import at

MARCH_APRIL = {"du": "2026-03-01", "au": "2026-04-30"}


def _url(name: str, shop, **kwargs) -> str:
    return reverse(f"reports:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def _csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))


def test_every_report_page_is_guarded(check_tenancy, scenario, shop):
    membership_pk = scenario.alice.membership.pk
    for url in [
        _url("index", shop),
        _url("export", shop, fmt="csv"),
        _url("export", shop, fmt="xlsx"),
        _url("distribution", shop, pk=scenario.march.pk),
        _url("distribution_export", shop, pk=scenario.march.pk, fmt="csv"),
        _url("distribution_export", shop, pk=scenario.march.pk, fmt="xlsx"),
        _url("beneficiary", shop, pk=membership_pk),
        _url("beneficiary_export", shop, pk=membership_pk, fmt="csv"),
        _url("beneficiary_export", shop, pk=membership_pk, fmt="xlsx"),
    ]:
        check_tenancy(url)


def test_another_groceries_ids_answer_404(manager_client, shop, other_shop):
    theirs = make_distribution(shop=other_shop, state="validated")
    someone = make_beneficiary(shop=other_shop).membership
    assert manager_client.get(_url("distribution", shop, pk=theirs.pk)).status_code == 404
    assert (
        manager_client.get(_url("distribution_export", shop, pk=theirs.pk, fmt="csv")).status_code
        == 404
    )
    assert manager_client.get(_url("beneficiary", shop, pk=someone.pk)).status_code == 404


def test_the_manager_navigation_has_a_reports_tab(manager_client, shop):
    page = manager_client.get(reverse("distributions:list", kwargs={"shop_slug": shop.slug}))
    assert _url("index", shop) in page.content.decode()


def test_the_report_page_shows_the_figures_chart_and_tables(manager_client, scenario, shop):
    page = manager_client.get(_url("index", shop), MARCH_APRIL).content.decode()
    assert '<dd id="aid-total">18,45\u00a0€</dd>' in page
    assert "<svg" in page and '<title id="chart-1-title">' in page
    assert "<caption>" in page
    for name in ("Alice Bernard", "Bruno Durand", "Chloé Martin", "Lait"):
        assert name in page
    assert "Intrus Ailleurs" not in page and "Café d'ailleurs" not in page


def test_the_distribution_report(manager_client, scenario, shop):
    page = manager_client.get(_url("distribution", shop, pk=scenario.april.pk)).content.decode()
    assert '<dd id="aid-total">3,70\u00a0€</dd>' in page


def test_a_beneficiary_statement(manager_client, scenario, shop):
    url = _url("beneficiary", shop, pk=scenario.alice.membership.pk)
    page = manager_client.get(url, MARCH_APRIL).content.decode()
    assert "Alice Bernard" in page and "9,90\u00a0€" in page and "1,10\u00a0€" in page
    rows = _csv(
        manager_client.get(
            _url("beneficiary_export", shop, pk=scenario.alice.membership.pk, fmt="csv"),
            MARCH_APRIL,
        )
    )
    assert [row[3] for row in rows[1:]] == ["0,80", "0,30"]


def test_an_empty_period_says_so(manager_client, shop):
    page = manager_client.get(_url("index", shop), {"mois": "2020-01"}).content.decode()
    assert "Aucune distribution validée sur cette période." in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"du": "2026-04-30", "au": "2026-03-01"}, "est avant la date de début"),
        ({"du": "31/02/2026", "au": "2026-03-01"}, "n'est pas une date valide"),
        ({"du": "hier", "au": "2026-03-01"}, "n'est pas une date valide"),
        ({"du": "2026-03-01"}, "Indiquez une date de début et une date de fin"),
        ({"du": "2020-01-01", "au": "2026-01-01"}, "ne peut pas dépasser 5 ans"),
        ({"mois": "2026-13"}, "n'est pas une date valide"),
        ({"annee": "deux mille"}, "n'est pas une date valide"),
    ],
)
def test_bad_dates_get_a_french_message(manager_client, shop, query, message):
    for url in (_url("index", shop), _url("export", shop, fmt="xlsx")):
        response = manager_client.get(url, query)
        assert response.status_code == 400
        assert message in html.unescape(response.content.decode())


def test_periods_from_the_query_string():
    from django.http import QueryDict

    assert period_from_query(QueryDict("trimestre=2026-T2")).start == datetime.date(2026, 4, 1)
    assert period_from_query(QueryDict("trimestre=2026-T2")).end == datetime.date(2026, 6, 30)
    assert period_from_query(QueryDict("annee=2026")).end == datetime.date(2026, 12, 31)
    assert period_from_query(QueryDict("mois=2026-02")).end == datetime.date(2026, 2, 28)
    today = datetime.date(2026, 5, 17)
    assert period_from_query(QueryDict(""), today=today).start == datetime.date(2026, 5, 1)
    assert parse_date("31/01/2026") == parse_date("2026-01-31")


def test_report_export_as_csv_per_table(manager_client, scenario, shop):
    url = _url("export", shop, fmt="csv")
    summary = _csv(manager_client.get(url, MARCH_APRIL))
    assert ["Aide apportée (€)", "18,45"] in summary
    bands = _csv(manager_client.get(url, {**MARCH_APRIL, "tableau": "tranches"}))
    assert bands[1][:4] == ["10 %", "1", "2", "1,10"]
    assert manager_client.get(url, {"tableau": "inconnu"}).status_code == 404


def test_report_export_as_xlsx_has_every_table(manager_client, scenario, shop):
    response = manager_client.get(_url("export", shop, fmt="xlsx"), MARCH_APRIL)
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:4] == ["Synthèse", "Tranches", "Catégories", "Bénéficiaires"]
    summary = {row[0]: row[1] for row in workbook["Synthèse"].iter_rows(values_only=True)}
    assert Decimal(str(summary["Aide apportée (€)"])) == Decimal("18.45")


def _orders(shop, count: int, day: datetime.date, manager) -> None:
    products = [make_product(shop=shop, category=f"Rayon {n}", stock="1000") for n in range(3)]
    distribution = make_distribution(shop=shop, state="closed", starts_at=at(day))
    for _n in range(count):
        profile = make_beneficiary(shop=shop, monthly_budget="30")
        make_order(
            membership=profile.membership,
            distribution=distribution,
            lines={product: 1 for product in products},
        )
    distribution_validate(distribution=distribution, user=manager)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"annee": "2026"}).status_code == 200
    return len(queries)


def test_the_report_page_runs_a_fixed_number_of_queries(manager_client, shop, manager):
    _orders(shop, 5, datetime.date(2026, 2, 3), manager)
    few = _queries(manager_client, _url("index", shop))
    _orders(shop, 45, datetime.date(2026, 6, 9), manager)
    assert 6 <= few == _queries(manager_client, _url("index", shop))


def test_a_validated_distributions_page_links_to_its_report(manager_client, scenario, shop):
    page = manager_client.get(
        reverse("distributions:detail", kwargs={"shop_slug": shop.slug, "pk": scenario.march.pk})
    ).content.decode()
    assert _url("distribution", shop, pk=scenario.march.pk) in page
