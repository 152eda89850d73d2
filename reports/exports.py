"""A report as spreadsheet tables: one per section, for the CSV (one table) and the XLSX (all)."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Unit
from epiclic.spreadsheets import Cell, Table
from reports.report import Report, month_label
from reports.selectors import OTHER_BAND, ProductRow


def unit_label(unit: str) -> str:
    return str(Unit(unit).label) if unit in Unit.values else unit


def band_label(band: str) -> str:
    return _("autre taux") if band == OTHER_BAND else f"{band} %"


def _summary(report: Report) -> Table:
    t = report.totals
    rows: list[list[Cell]] = [
        [_("Foyers servis"), t.households],
        [_("Commandes"), t.orders],
        [_("Lignes"), t.lines],
        [_("Montant payé par les bénéficiaires (€)"), t.paid],
        [_("Valeur en rayon (€)"), t.shelf_value],
        [_("Aide apportée (€)"), t.aid],
        [_("Taux de participation moyen (%)"), t.rate],
    ]
    return Table(_("Synthèse"), [_("Indicateur"), _("Valeur")], rows)


def _bands(report: Report) -> Table:
    columns = [
        _("Tranche de participation"),
        _("Foyers"),
        _("Commandes"),
        _("Payé (€)"),
        _("Valeur en rayon (€)"),
        _("Aide (€)"),
    ]
    rows: list[list[Cell]] = [
        [band_label(r.band), r.households, r.orders, r.paid, r.shelf_value, r.aid]
        for r in report.bands
    ]
    return Table(_("Tranches"), columns, rows)


def _categories(report: Report) -> Table:
    columns = [
        _("Catégorie"),
        _("Unité"),
        _("Quantité livrée"),
        _("Lignes"),
        _("Payé (€)"),
        _("Valeur en rayon (€)"),
        _("Aide (€)"),
    ]
    rows: list[list[Cell]] = [
        [
            r.category or _("Sans catégorie"),
            unit_label(r.unit),
            r.quantity,
            r.lines,
            r.paid,
            r.shelf_value,
            r.aid,
        ]
        for r in report.categories
    ]
    return Table(_("Catégories"), columns, rows)


def _beneficiaries(report: Report) -> Table:
    columns = [
        _("Bénéficiaire"),
        _("N° de carte"),
        _("Commandes"),
        _("Payé (€)"),
        _("Valeur en rayon (€)"),
        _("Aide reçue (€)"),
        _("Budget mensuel (€)"),
        _("Budget utilisé (%)"),
    ]
    rows: list[list[Cell]] = [
        [
            r.name,
            r.card_number,
            r.orders,
            r.paid,
            r.shelf_value,
            r.aid,
            r.monthly_budget,
            r.budget_use,
        ]
        for r in report.beneficiaries
    ]
    return Table(_("Bénéficiaires"), columns, rows)


def _products(title: str, products: list[ProductRow]) -> Table:
    columns = [
        _("Produit"),
        _("Unité"),
        _("Commandes"),
        _("Quantité commandée"),
        _("Quantité livrée"),
        _("Lignes livrées en partie ou manquantes"),
        _("Dont manquantes"),
    ]
    rows: list[list[Cell]] = [
        [
            r.name,
            unit_label(r.unit),
            r.lines,
            r.ordered,
            r.delivered,
            r.short_lines,
            r.missing_lines,
        ]
        for r in products
    ]
    return Table(title, columns, rows)


def _distributions(report: Report) -> Table:
    columns = [_("Date"), _("Lieu"), _("Foyers"), _("Lignes"), _("Payé (€)"), _("Aide (€)")]
    rows: list[list[Cell]] = [
        [
            None if r.starts_at is None else timezone.localtime(r.starts_at),
            r.place,
            r.households,
            r.lines,
            r.paid,
            r.aid,
        ]
        for r in report.distributions
    ]
    return Table(_("Distributions"), columns, rows)


def _months(report: Report) -> Table:
    columns = [_("Mois"), _("Foyers"), _("Payé (€)"), _("Valeur en rayon (€)"), _("Aide (€)")]
    rows: list[list[Cell]] = [
        [month_label(r.month), r.households, r.paid, r.shelf_value, r.aid] for r in report.months
    ]
    return Table(_("Par mois"), columns, rows)


# URL word → the table; the order of the XLSX sheets.
SECTIONS: dict[str, Callable[[Report], Table]] = {
    "synthese": _summary,
    "tranches": _bands,
    "categories": _categories,
    "beneficiaires": _beneficiaries,
    "produits": lambda r: _products(_("Produits les plus commandés"), r.most_ordered),
    "manquants": lambda r: _products(_("Produits manquants"), r.most_short),
    "distributions": _distributions,
    "mois": _months,
}


def report_tables(report: Report, section: str | None = None) -> list[Table]:
    """One section's table, or every table the report has (no per-month on a distribution)."""
    if section is not None:
        return [SECTIONS[section](report)]
    skip = set() if report.period is not None else {"distributions", "mois"}
    return [build(report) for name, build in SECTIONS.items() if name not in skip]
