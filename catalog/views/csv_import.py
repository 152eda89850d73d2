"""The Import/Export menu: CSV export, CSV import with a preview and a confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import csv_io, rules, selectors, services
from catalog.forms import CsvUploadForm
from catalog.models import CsvImportPlan
from epiclic.errors import Refusal
from imports.display import row_views
from imports.selectors import plan_page
from shops.access import ShopRequest, access_object, manager_view

ROWS_PER_PAGE = 100
STATUSES = ("error", "new", "changed", "unchanged")


@manager_view
def product_export(request: ShopRequest) -> StreamingHttpResponse:
    rows = csv_io.export_rows(selectors.products_for_export(request.shop).iterator(2000))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    filename = f"produits-{request.shop.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _too_big_message() -> str:
    return _("Le fichier est trop lourd : 5 Mo au maximum. Découpez-le en plusieurs fichiers.")


@manager_view
def csv_import_upload(request: ShopRequest) -> HttpResponse:
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


@manager_view
def csv_import_preview(request: ShopRequest, pk: int) -> HttpResponse:
    plan = access_object(request.shop, CsvImportPlan, pk=pk)
    status = request.GET.get("statut", "")
    page = plan_page(plan, status=status, number=request.GET.get("page"), per_page=ROWS_PER_PAGE)
    views = row_views(page.object_list, rules.field_specs(), labels=csv_io.FIELD_TO_COLUMN)
    context = {
        "query": f"statut={status}" if status in STATUSES else "",
        "plan": plan,
        "counts": plan.counts,
        "page": page,
        "views": views,
        "status": status,
        "expired": plan.is_expired(),
        "confirm_url": reverse(
            "catalog:csv_import_confirm", kwargs={"shop_slug": request.shop.slug, "pk": plan.pk}
        ),
    }
    return render(request, "catalog/csv_import_preview.html", context)


@manager_view
@require_POST
def csv_import_confirm(request: ShopRequest, pk: int) -> HttpResponse:
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
