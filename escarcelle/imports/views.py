"""Pages of the two Escarcelle imports: start, preview (with opt-outs), confirmation, result."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import HttpResponseClientRefresh

from catalog import rules
from catalog.models import Product, StockSource
from epiclic.collation import collated
from epiclic.errors import Refusal
from epiclic.queue import enqueue
from escarcelle.connection import connection_for
from escarcelle.imports import beneficiaries
from escarcelle.imports.plans import import_plan_apply, import_plan_create
from escarcelle.models import ImportPlan, ImportRun
from escarcelle.tasks import import_plan_build_task
from imports.display import row_views
from imports.models import ImportKind, PlanStatus
from imports.selectors import plan_page
from imports.services import plan_opt_outs_set
from shops.access import ShopRequest, access_object, manager_view

ROWS_PER_PAGE = 100
WORKER_DOWN = gettext_lazy(
    "Le service des tâches de fond ne répond pas : l'aperçu sera préparé dès qu'il répondra. "
    "Vous pouvez quitter cette page et revenir plus tard."
)


def _url_name(kind: str) -> str:
    if kind == ImportKind.PRODUCTS:
        return "escarcelle:import_products"
    return "escarcelle:import_beneficiaries"


def _start(request: ShopRequest, kind: str) -> HttpResponse:
    shop = request.shop
    url_name = _url_name(kind)
    if request.method == "POST":
        try:
            plan = import_plan_create(shop=shop, kind=kind, user=request.user)
        except Refusal as refused:
            messages.error(request, refused.message)
            return redirect(url_name, shop_slug=shop.slug)
        if not enqueue(import_plan_build_task, plan.pk):
            messages.warning(request, WORKER_DOWN)
        return redirect(f"{url_name}_plan", shop_slug=shop.slug, plan_id=plan.pk)
    context = {
        "kind": kind,
        "connection": connection_for(shop),
        "recent": ImportRun.objects.filter(shop=shop, kind=kind).select_related("user")[:5],
    }
    return render(request, "escarcelle/import_start.html", context)


@manager_view
def import_products(request: ShopRequest) -> HttpResponse:
    return _start(request, ImportKind.PRODUCTS)


@manager_view
def import_beneficiaries(request: ShopRequest) -> HttpResponse:
    return _start(request, ImportKind.BENEFICIARIES)


@manager_view
def import_products_plan(request: ShopRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, ImportKind.PRODUCTS, plan_id)


@manager_view
def import_beneficiaries_plan(request: ShopRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, ImportKind.BENEFICIARIES, plan_id)


def _int_list(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _plan_page(request: ShopRequest, kind: str, plan_id: int) -> HttpResponse:
    shop = request.shop
    plan = access_object(shop, ImportPlan.objects.filter(kind=kind), pk=plan_id)
    here = reverse(f"{_url_name(kind)}_plan", kwargs={"shop_slug": shop.slug, "plan_id": plan.pk})
    if request.method == "POST":
        shown = _int_list(request.POST.getlist("shown"))
        kept = request.POST.getlist("keep")
        proposed = _int_list(request.POST.getlist("proposed"))
        linked = request.POST.getlist("link")
        plan_opt_outs_set(
            plan=plan,
            shown=shown,
            excluded=[i for i in shown if str(i) not in kept],
            proposed=proposed,
            declined=[i for i in proposed if str(i) not in linked],
        )
        if "confirm" in request.POST:
            try:
                import_plan_apply(shop=shop, plan_id=plan.pk, user=request.user)
            except Refusal as refused:
                messages.error(request, refused.message)
            return redirect(here)
        page = request.POST.get("goto", "")
        status = request.POST.get("statut", "")
        query = "&".join(
            part
            for part in (
                f"page={page}" if page.isdigit() else "",
                f"statut={status}" * bool(status),
            )
            if part
        )
        return redirect(f"{here}?{query}" if query else here)
    if plan.is_building and not plan.is_stalled:
        template = "escarcelle/import_plan.html"
        if request.htmx:
            template += "#progress"
        return render(request, template, {"plan": plan, "kind": kind, "here": here})
    if request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "escarcelle/import_plan.html", _plan_context(request, plan, kind, here))


def _plan_context(request: ShopRequest, plan: ImportPlan, kind: str, here: str) -> dict[str, Any]:
    status = request.GET.get("statut", "")
    page = plan_page(plan, status=status, number=request.GET.get("page"), per_page=ROWS_PER_PAGE)
    specs = rules.field_specs() if kind == ImportKind.PRODUCTS else beneficiaries.field_specs()
    context: dict[str, Any] = {
        "plan": plan,
        "kind": kind,
        "here": here,
        "page": page,
        "rows": row_views(page.object_list, specs),
        "status": status,
        "statuses": _statuses(plan),
        "expired": plan.is_expired(),
    }
    if plan.status == PlanStatus.APPLIED:
        run = ImportRun.objects.filter(plan=plan, result="success").first()
        context["run"] = run
        context["created"] = created = (run.counts.get("new", 0) if run else 0) > 0
        context["unchanged"] = plan.counts.get("unchanged", 0)
        context["wrote"] = run is not None and any(
            run.counts.get(status, 0) for status in ("new", "changed", "link", "deactivate")
        )
        if kind == ImportKind.PRODUCTS and created and plan.apply_started_at is not None:
            # Only what this import created: a re-import that created nothing says nothing.
            no_photo = Product.objects.filter(
                shop_id=plan.shop_id,
                stock_source=StockSource.ESCARCELLE,
                active=True,
                photo="",
                created_at__gte=plan.apply_started_at,
            )
            names = collated(no_photo.values_list("pk", "name"), key=lambda row: row[1])
            context["no_photo"] = [{"pk": pk, "name": name} for pk, name in names[:50]]
            context["no_photo_count"] = len(names)
    return context


def _statuses(plan: ImportPlan) -> list[tuple[str, str, int]]:
    labels = {
        "new": _("nouveaux"),
        "changed": _("modifiés"),
        "link": _("à relier"),
        "deactivate": _("à désactiver"),
        "unchanged": _("inchangés"),
        "error": _("avec erreur (non importés)"),
    }
    return [(key, label, plan.counts.get(key, 0)) for key, label in labels.items()]
