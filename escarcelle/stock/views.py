"""The Stocks page (manager): figures per product, the sync banner, "Synchroniser maintenant"."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from catalog.models import StockSource
from epiclic.queue import enqueue
from escarcelle.connection import connection_for
from escarcelle.stock import selectors
from escarcelle.stock.models import StockSyncState, WebhookEndpoint
from escarcelle.stock.services import stock_sync_request, stock_sync_request_unqueued
from escarcelle.stock.tasks import stock_sync_task
from shops.access import ShopRequest, manager_view

# Sent when "Synchroniser maintenant" finds the sync already over; the table listens for it.
STOCK_SYNCED = "stock-synced"
QUEUE_DOWN = gettext_lazy(
    "Le service des tâches de fond ne répond pas : la synchronisation partira dès que possible."
)


class StockFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    source = forms.ChoiceField(
        label=gettext_lazy("Origine du stock"),
        required=False,
        choices=[("", gettext_lazy("Toutes")), *StockSource.choices],
    )
    low = forms.BooleanField(label=gettext_lazy("Stock bas seulement"), required=False)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"q": data["q"].strip(), "source": data["source"], "low_only": data["low"]}


def _status_context(request: ShopRequest) -> dict:
    now = timezone.now()
    state = StockSyncState.objects.filter(shop=request.shop).first()
    connection = connection_for(request.shop)
    return {
        "state": state,
        "connection": connection,
        "banner": selectors.sync_banner(connection=connection, state=state, now=now),
        "progress": selectors.sync_progress(state, now),
    }


@manager_view
def stocks(request: ShopRequest) -> HttpResponse:
    form = StockFilterForm(request.GET)
    page, rows = selectors.stock_rows(request.shop, **form.filters(), page=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **_status_context(request),
        "form": form,
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
        "threshold": selectors.low_stock_threshold(),
        "runs": selectors.sync_history(request.shop),
        "webhook": WebhookEndpoint.objects.filter(shop=request.shop).first(),
    }
    template = "escarcelle_stock/stocks.html"
    if request.htmx and request.htmx.target == "stock-table":
        template += "#table"
    return render(request, template, context)


@manager_view
def sync_status(request: ShopRequest) -> HttpResponse:
    """The progress block, polled by htmx while a sync is queued or running."""
    context = _status_context(request)
    if request.GET.get("poll") and not context["progress"]:
        return HttpResponseClientRefresh()  # finished: reload the page with the new figures
    return render(request, "escarcelle_stock/stocks.html#status", context)


@require_POST
@manager_view
def sync_now(request: ShopRequest) -> HttpResponse:
    shop = request.shop
    queued = True
    if connection_for(shop) is None:
        messages.error(
            request, _("Renseignez d'abord votre clé dans Paramètres → Synchro Escarcelle.")
        )
    else:
        stock_sync_request(shop=shop)
        queued = enqueue(stock_sync_task, shop.pk)
        if not queued:
            stock_sync_request_unqueued(shop=shop)
        if not queued and not request.htmx:
            messages.warning(request, QUEUE_DOWN)
        elif not request.htmx:
            messages.success(request, _("Synchronisation demandée."))
    if request.htmx:
        context = {**_status_context(request), "queue_down": not queued}
        response = render(request, "escarcelle_stock/stocks.html#status", context)
        if not context["progress"]:
            # The sync already ended (a fast worker, or huey's immediate mode): nothing will
            # poll, so the status shows its result and the table reloads its own figures.
            trigger_client_event(response, STOCK_SYNCED)
        return response
    return redirect("escarcelle:stocks", shop_slug=shop.slug)
