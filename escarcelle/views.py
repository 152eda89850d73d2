"""Pages of the connector: Paramètres → Synchro Escarcelle, and the two imports."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_htmx.http import HttpResponseClientRefresh

from catalog.models import Product, StockSource
from epiclic.errors import Refusal
from escarcelle.client import EscarcelleError
from escarcelle.connection import connection_for, connection_remove, connection_save
from escarcelle.imports import beneficiaries, products
from escarcelle.imports.plans import (
    import_plan_apply,
    import_plan_create,
    import_plan_set_opt_outs,
)
from escarcelle.models import ImportKind, ImportPlan, ImportRun, PlanStatus
from escarcelle.tasks import import_plan_build_task
from shops.access import access_object, manager_view

# Templates of optional sections of the Synchro Escarcelle page. Sub-apps (stock sync, sales
# push) append their template names in their AppConfig.ready(); each is included with the
# page's context (shop, connection).
SETTINGS_SECTIONS: list[str] = []

ROWS_PER_PAGE = 100

# Plan values are JSON strings ("2.50", "0.500", "2026-12-31"); shown the French way.
MONEY_FIELDS = {"price", "monthly_budget"}
NUMBER_FIELDS = {"unit_quantity", "vat_rate", "participation_rate"}
DATE_FIELDS = {"access_valid_until"}


class KeyForm(forms.Form):
    api_key = forms.CharField(
        label=gettext_lazy("Clé Escarcelle"),
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Dans votre compte Escarcelle : Paramètres, puis API."),
    )


@sensitive_post_parameters("api_key")
@manager_view
@sensitive_variables("form", "api_key")
def settings_page(request: HttpRequest) -> HttpResponse:
    shop = request.shop
    form = KeyForm()
    if request.method == "POST":
        if request.POST.get("action") == "disconnect":
            connection_remove(shop=shop)
            messages.success(request, _("Epiclic est déconnecté d'Escarcelle."))
            return redirect("escarcelle:settings", shop_slug=shop.slug)
        form = KeyForm(request.POST)
        if form.is_valid():
            api_key = form.cleaned_data["api_key"]
            try:
                connection = connection_save(shop=shop, user=request.user, api_key=api_key)
            except EscarcelleError as error:
                form.add_error("api_key", error.message)
            else:
                messages.success(
                    request,
                    _("Clé enregistrée : Epiclic est connecté au compte Escarcelle « %(name)s ».")
                    % {"name": connection.account_name},
                )
                return redirect("escarcelle:settings", shop_slug=shop.slug)
    runs = ImportRun.objects.filter(shop=shop).select_related("user")[:30]
    context = {
        "connection": connection_for(shop),
        "form": form,
        "runs": runs,
        "sections": SETTINGS_SECTIONS,
    }
    return render(request, "escarcelle/settings.html", context)


def _start(request: HttpRequest, kind: str) -> HttpResponse:
    shop = request.shop
    url_name = _url_name(kind)
    if request.method == "POST":
        try:
            plan = import_plan_create(shop=shop, kind=kind, user=request.user)
        except Refusal as refused:
            messages.error(request, refused.message)
            return redirect(url_name, shop_slug=shop.slug)
        import_plan_build_task(plan.pk)
        return redirect(f"{url_name}_plan", shop_slug=shop.slug, plan_id=plan.pk)
    context = {
        "kind": kind,
        "connection": connection_for(shop),
        "recent": ImportRun.objects.filter(shop=shop, kind=kind).select_related("user")[:5],
    }
    return render(request, "escarcelle/import_start.html", context)


@manager_view
def import_products(request: HttpRequest) -> HttpResponse:
    return _start(request, ImportKind.PRODUCTS)


@manager_view
def import_beneficiaries(request: HttpRequest) -> HttpResponse:
    return _start(request, ImportKind.BENEFICIARIES)


@manager_view
def import_products_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, ImportKind.PRODUCTS, plan_id)


@manager_view
def import_beneficiaries_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, ImportKind.BENEFICIARIES, plan_id)


def _url_name(kind: str) -> str:
    if kind == ImportKind.PRODUCTS:
        return "escarcelle:import_products"
    return "escarcelle:import_beneficiaries"


def _int_list(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _plan_page(request: HttpRequest, kind: str, plan_id: int) -> HttpResponse:
    shop = request.shop
    plan = access_object(shop, ImportPlan.objects.filter(kind=kind), pk=plan_id)
    here = reverse(f"{_url_name(kind)}_plan", kwargs={"shop_slug": shop.slug, "plan_id": plan.pk})
    if request.method == "POST":
        import_plan_set_opt_outs(
            plan=plan,
            shown=_int_list(request.POST.getlist("shown")),
            excluded=[
                i
                for i in _int_list(request.POST.getlist("shown"))
                if str(i) not in request.POST.getlist("keep")
            ],
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


def _plan_context(request: HttpRequest, plan: ImportPlan, kind: str, here: str) -> dict:
    status = request.GET.get("statut", "")
    rows = plan.rows
    if status:
        rows = [row for row in rows if row["status"] == status]
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    labels = (products if kind == ImportKind.PRODUCTS else beneficiaries).field_labels()
    opted_out = set(plan.opted_out)
    shown = [
        {
            **row,
            "kept": row["i"] not in opted_out,
            "selectable": row["status"] in ("new", "changed", "link", "deactivate"),
            "diff_labelled": [
                (labels.get(f, f), _shown(f, old), _shown(f, new)) for f, old, new in row["diff"]
            ],
            "values_shown": {f: _shown(f, v) for f, v in row["values"].items()},
        }
        for row in page.object_list
    ]
    context = {
        "plan": plan,
        "kind": kind,
        "here": here,
        "page": page,
        "rows": shown,
        "status": status,
        "statuses": _statuses(plan),
        "expired": plan.is_expired(),
    }
    if plan.status == PlanStatus.APPLIED:
        context["run"] = ImportRun.objects.filter(plan=plan, result="success").first()
        if kind == ImportKind.PRODUCTS:
            no_photo = Product.objects.filter(
                shop=plan.shop, stock_source=StockSource.ESCARCELLE, active=True, photo=""
            ).order_by("name")
            context["no_photo"] = no_photo[:50]
            context["no_photo_count"] = no_photo.count()
    return context


def _shown(field: str, value: Any) -> Any:
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if value is None or value == "" or not isinstance(value, str):
        return value
    try:
        if field in MONEY_FIELDS:
            return number_format(Decimal(value), 2)
        if field in NUMBER_FIELDS:
            number = Decimal(value)
            whole = number == number.to_integral()
            return number_format(number.quantize(Decimal(1)) if whole else number.normalize())
        if field in DATE_FIELDS:
            return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except (InvalidOperation, ValueError):
        pass
    return value


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
