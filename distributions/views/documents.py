"""Preparation documents of a distribution: printable pages, their PDF, the lines' export."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distributions.documents import PRINTABLE_STATES, lines_table, preparation_sheets
from distributions.models import Distribution
from epiclic.pdf import pdf_response, processes
from epiclic.spreadsheets import csv_response, xlsx_response
from shops.access import ShopRequest, access_object, manager_view

# URL word → (title, template, file name stem).
DOCUMENTS = {
    "sacs": (gettext_lazy("Fiches sacs"), "bags", "fiches-sacs"),
    "preparation": (gettext_lazy("Liste de préparation"), "picking", "liste-preparation"),
    "emargement": (gettext_lazy("Feuille d'émargement"), "signoff", "emargement"),
}
EXPORT_FORMATS = ("csv", "xlsx")
# Below this many bags a part, starting another process costs more than it saves.
BAGS_PER_PART = 40


def _printable(request: ShopRequest, pk: int) -> Distribution | HttpResponse:
    """The distribution if its sheets can be printed, else a redirect to its page."""
    distribution = access_object(request.shop, Distribution, pk=pk)
    if distribution.state not in PRINTABLE_STATES:
        messages.error(
            request,
            _("Les documents de préparation s'impriment une fois les commandes fermées."),
        )
        return redirect("distributions:detail", shop_slug=request.shop.slug, pk=pk)
    return distribution


def _file_stem(distribution: Distribution, stem: str) -> str:
    return f"{stem}-{timezone.localtime(distribution.starts_at):%Y-%m-%d}-{distribution.pk}"


def _render(request: ShopRequest, pk: int, kind: str, *, as_pdf: bool) -> HttpResponse:
    if kind not in DOCUMENTS:
        raise Http404
    found = _printable(request, pk)
    if isinstance(found, HttpResponse):
        return found
    title, template, stem = DOCUMENTS[kind]
    context = {
        "sheets": preparation_sheets(distribution=found),
        "distribution": found,
        "shop": request.shop,
        "title": title,
        "kind": kind,
        "for_pdf": as_pdf,
        "documents": [(key, label) for key, (label, _t, _s) in DOCUMENTS.items()],
    }
    if as_pdf:
        parts = _pdf_parts(f"distributions/documents/{template}.html", context)
        return pdf_response(parts, f"{_file_stem(found, stem)}.pdf")
    return HttpResponse(
        render_to_string(f"distributions/documents/{template}.html", context, request)
    )


def _pdf_parts(template: str, context: dict[str, Any]) -> list[str]:
    """The document, or the bag sheets of a large distribution cut between two orders into as
    many parts as cores (``epiclic.pdf`` lays the parts out at once)."""
    sheets = context["sheets"]
    count = min(processes(), len(sheets.bags) // BAGS_PER_PART)
    if context["kind"] != "sacs" or count <= 1:
        return [render_to_string(template, context)]
    size = -(-len(sheets.bags) // count)
    return [
        render_to_string(
            template,
            {
                **context,
                "sheets": dataclasses.replace(sheets, bags=sheets.bags[start : start + size]),
                "continued": start > 0,
            },
        )
        for start in range(0, len(sheets.bags), size)
    ]


@manager_view
def document(request: ShopRequest, pk: int, kind: str) -> HttpResponse:
    """The document as a page to print (print stylesheet, one order per page)."""
    return _render(request, pk, kind, as_pdf=False)


@manager_view
def document_pdf(request: ShopRequest, pk: int, kind: str) -> HttpResponse:
    return _render(request, pk, kind, as_pdf=True)


@manager_view
def lines_export(request: ShopRequest, pk: int, fmt: str) -> HttpResponseBase:
    """Every line of the distribution as a French CSV or an XLSX workbook."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    found = _printable(request, pk)
    if isinstance(found, HttpResponse):
        return found
    table = lines_table(preparation_sheets(distribution=found))
    filename = f"{_file_stem(found, 'lignes-distribution')}.{fmt}"
    if fmt == "csv":
        return csv_response(table, filename)
    return xlsx_response([table], filename)
