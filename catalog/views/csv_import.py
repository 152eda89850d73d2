"""The Import/Export menu: CSV export, CSV import with a preview and a confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import csv_io, selectors, services
from catalog.forms import CsvUploadForm
from catalog.models import CsvImportPlan
from epiclic.errors import Refusal
from shops.access import access_object, manager_view

ROWS_PER_PAGE = 100
STATUSES = ("error", "new", "changed", "unchanged")


@manager_view
def product_export(request: HttpRequest) -> StreamingHttpResponse:
    rows = csv_io.export_rows(selectors.products_for_export(request.shop).iterator(2000))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    filename = f"produits-{request.shop.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _too_big_message() -> str:
    return _("Le fichier est trop lourd : 5 Mo au maximum. Découpez-le en plusieurs fichiers.")


@manager_view
def csv_import_upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "catalog/csv_import_upload.html", {"form": CsvUploadForm()})
    # Refuse an oversized upload from its announced length, before the body is parsed.
    announced = int(request.META.get("CONTENT_LENGTH") or 0)
    if announced > csv_io.MAX_IMPORT_BYTES + 64 * 1024:
        messages.error(request, _too_big_message())
        return redirect("catalog:csv_import", shop_slug=request.shop.slug)
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "catalog/csv_import_upload.html", {"form": form})
    upload = form.cleaned_data["file"]
    if upload.size > csv_io.MAX_IMPORT_BYTES:
        form.add_error("file", _too_big_message())
        return render(request, "catalog/csv_import_upload.html", {"form": form})
    plan = services.product_csv_import_plan_create(
        shop=request.shop, user=request.user, filename=upload.name, data=upload.read()
    )
    return redirect("catalog:csv_import_preview", shop_slug=request.shop.slug, pk=plan.pk)


def _with_diff(row: dict) -> dict:
    diff = [
        (csv_io.FIELD_TO_COLUMN[f], csv_io.display_value(f, old), csv_io.display_value(f, new))
        for f, (old, new) in row["changes"].items()
    ]
    return {**row, "diff": diff}


@manager_view
def csv_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access_object(request.shop, CsvImportPlan, pk=pk)
    status = request.GET.get("statut", "")
    rows = [r for r in plan.rows if r["status"] == status] if status in STATUSES else plan.rows
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [_with_diff(row) for row in page.object_list]
    context = {
        "query": f"statut={status}" if status in STATUSES else "",
        "plan": plan,
        "counts": plan.counts(),
        "page": page,
        "status": status,
        "expired": plan.is_expired(),
    }
    return render(request, "catalog/csv_import_preview.html", context)


@manager_view
@require_POST
def csv_import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    plan = access_object(request.shop, CsvImportPlan.objects.only("id", "shop_id"), pk=pk)
    try:
        result = services.product_csv_import_apply(shop=request.shop, plan_id=plan.pk)
    except Refusal as refusal:
        messages.error(request, refusal.message)
        return redirect("catalog:csv_import_preview", shop_slug=request.shop.slug, pk=pk)
    messages.success(
        request,
        _("Import appliqué : %(new)s produit(s) créé(s), %(changed)s modifié(s).") % result,
    )
    return redirect("catalog:products", shop_slug=request.shop.slug)
