"""Reads for the Stocks page: one row per product, the sync banner, the sync progress."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product, StockSource
from distributions.availability import displayable, stock_figures
from escarcelle.models import Connection
from escarcelle.stock.models import StockSyncRun, StockSyncState, SyncResult
from shops.models import Shop

ZERO = Decimal("0")
PAGE_SIZE = 50
STALE_AFTER = datetime.timedelta(hours=2)
QUEUED_FOR_AT_MOST = datetime.timedelta(minutes=10)


def low_stock_threshold() -> Decimal:
    return Decimal(str(settings.STOCK_LOW_THRESHOLD))


@dataclass
class StockRow:
    product: Product
    quantity: Decimal | None  # Escarcelle's figure or the hand stock; None: never read
    reserved: Decimal
    available: Decimal  # raw; the template shows max(0, …)
    low: bool
    # When the figure was last known true: its own reading (live check, pushed event) or the
    # shop's last successful sync, whichever is later. None: hand-managed or never read.
    read_at: datetime.datetime | None = None

    @property
    def shown_quantity(self) -> Decimal | None:
        return None if self.quantity is None else max(ZERO, self.quantity)

    @property
    def shown_available(self) -> Decimal:
        return displayable(self.available)

    @property
    def negative_quantity(self) -> bool:
        return self.quantity is not None and self.quantity < 0


def _products(shop: Shop, *, q: str, source: str) -> QuerySet[Product]:
    products = Product.objects.filter(shop=shop)
    products = products.order_by("name", "id")
    if q:
        products = products.filter(
            Q(name__icontains=q) | Q(ref__icontains=q) | Q(barcode__icontains=q)
        )
    if source in (StockSource.ESCARCELLE, StockSource.MANUAL):
        products = products.filter(stock_source=source)
    return products


def stock_rows(
    shop: Shop, *, q: str = "", source: str = "", low_only: bool = False, page: str | None = None
) -> tuple[Page, list[StockRow]]:
    """One page of the Stocks table. The query count does not depend on the number of rows.

    The figures come from ``stock_figures``, the availability function of the ordering pages:
    "disponible en ligne" here is what a beneficiary can order there.
    """
    products = _products(shop, q=q, source=source)
    threshold = low_stock_threshold()
    page_products: list[Product]
    if low_only:
        # The filter needs every product's figure: computed for the filtered set at once.
        every = list(products.values_list("pk", flat=True))
        figures = stock_figures(shop=shop, product_ids=every)
        ids = [pk for pk in every if figures[pk].available <= threshold]
        paginated: Page = Paginator(ids, PAGE_SIZE).get_page(page)
        by_id = Product.objects.in_bulk(list(paginated.object_list))
        page_products = [by_id[pk] for pk in paginated.object_list]
    else:
        paginated = Paginator(products, PAGE_SIZE).get_page(page)
        page_products = list(paginated.object_list)
        figures = stock_figures(shop=shop, product_ids=[p.pk for p in page_products])
    rows = []
    for product in page_products:
        figure = figures[product.pk]
        rows.append(
            StockRow(
                product=product,
                quantity=figure.quantity,
                reserved=figure.reserved,
                available=figure.available,
                low=figure.available <= threshold,
                read_at=figure.read_at,
            )
        )
    return paginated, rows


# --- The banner and the progress of a sync -----------------------------------------------------

REASONS = {
    "unauthorized": gettext_lazy("clé refusée"),
    "not_connected": gettext_lazy("aucune clé enregistrée"),
    "key_unreadable": gettext_lazy("clé illisible"),
    "rate_limited": gettext_lazy("trop de requêtes"),
    "network": gettext_lazy("Escarcelle injoignable"),
    "timeout": gettext_lazy("Escarcelle injoignable"),
    "unavailable": gettext_lazy("Escarcelle injoignable"),
    "server_error": gettext_lazy("Escarcelle injoignable"),
    "malformed": gettext_lazy("réponse illisible"),
}


def reason_label(code: str) -> str:
    label = REASONS.get(code)
    return str(label) if label else _("réponse incohérente d'Escarcelle")


@dataclass
class SyncBanner:
    level: str  # "" (information), "warn" or "bad"
    messages: list[str]


def sync_banner(
    *,
    connection: Connection | None,
    state: StockSyncState | None,
    now: datetime.datetime,
) -> SyncBanner:
    if connection is None:
        return SyncBanner(
            "",
            [
                _(
                    "Epiclic n'est pas connecté à Escarcelle : renseignez votre clé dans "
                    "Paramètres → Synchro Escarcelle, puis importez vos produits."
                )
            ],
        )
    messages: list[str] = []
    level = ""
    if state is None or state.last_attempt_at is None:
        messages.append(_("Aucune synchronisation des stocks pour l'instant."))
        level = "warn"
    else:
        if state.last_result == SyncResult.FAILED:
            level = "bad"
            messages.append(
                _("Dernière tentative le %(when)s : échec (%(reason)s). %(detail)s")
                % {
                    "when": _local(state.last_attempt_at),
                    "reason": reason_label(state.error_code),
                    "detail": state.error_message,
                }
            )
        if state.last_success_at is None:
            level = level or "warn"
            messages.append(_("Les stocks n'ont encore jamais été lus dans Escarcelle."))
        elif now - state.last_success_at > STALE_AFTER:
            level = level or "warn"
            messages.append(
                _(
                    "Attention : les stocks n'ont pas été lus depuis plus de deux heures "
                    "(dernière lecture réussie le %(when)s)."
                )
                % {"when": _local(state.last_success_at)}
            )
        else:
            messages.append(
                _("Dernière synchronisation réussie le %(when)s.")
                % {"when": _local(state.last_success_at)}
            )
    if connection.key_rejected_at is not None:
        level = "bad"
        messages.append(
            _(
                "Escarcelle refuse la clé enregistrée : les synchronisations automatiques sont "
                "suspendues jusqu'à ce qu'une nouvelle clé soit enregistrée."
            )
        )
    elif (retry_at := sync_stuck_retry_at(state, now)) is not None:
        level = level or "warn"
        messages.append(
            _(
                "La dernière synchronisation s'est interrompue (le service des tâches de fond "
                "s'est arrêté). Nouvel essai automatique vers %(when)s ; vous pouvez aussi "
                "la relancer."
            )
            % {"when": _local(retry_at)}
        )
    elif state is not None and state.next_run_at is not None:
        messages.append(
            _("Prochaine synchronisation : %(when)s.") % {"when": _local(state.next_run_at)}
        )
    return SyncBanner(level, messages)


def sync_stuck_retry_at(
    state: StockSyncState | None, now: datetime.datetime
) -> datetime.datetime | None:
    """When a sync whose worker died will be retried (the next minute tick), else None.

    A lease still set but lapsed means its worker stopped renewing it (a sync that ends
    clears it); ``stock_sync_due`` hands such a shop out at the next tick.
    """
    if state is None or state.claimed_until is None or state.claimed_until >= now:
        return None
    return (now + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)


def _local(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def sync_progress(state: StockSyncState | None, now: datetime.datetime) -> str:
    """ "running", "queued" or "" (nothing under way)."""
    if state is None:
        return ""
    if state.claimed_until is not None and state.claimed_until > now:
        return "running"
    if (
        state.requested_at is not None
        and (state.last_attempt_at is None or state.last_attempt_at < state.requested_at)
        and now - state.requested_at < QUEUED_FOR_AT_MOST
    ):
        return "queued"
    return ""


def sync_history(shop: Shop, limit: int = 20) -> list[StockSyncRun]:
    return list(StockSyncRun.objects.filter(shop=shop)[:limit])
