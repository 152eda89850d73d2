"""The fleet: one row per grocery with its Escarcelle state, in a fixed number of queries.

``fleet_shops`` is one SQL query whatever the number of groceries (the sales counts and the
last import are correlated subqueries, the connection and the sync state joins); the page
paginates it. ``fleet_row`` turns one annotated shop into what the page and ``fleet_status``
show; the only work it does per row is trying to read the stored key (no query).
"""

from __future__ import annotations

import dataclasses
import datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from escarcelle import crypto
from escarcelle.models import Connection
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.stock.models import StockSyncState, SyncResult
from imports.models import ImportPlan
from shops.models import Shop

NOT_CONNECTED = "not_connected"
CONNECTED = "connected"
KEY_REFUSED = "key_refused"
KEY_UNREADABLE = "key_unreadable"
STATE_LABELS = {
    NOT_CONNECTED: _("non connectée"),
    CONNECTED: _("connectée"),
    KEY_REFUSED: _("clé refusée"),
    KEY_UNREADABLE: _("clé illisible"),
}


def _sales_count(status: str) -> Coalesce:
    count = (
        SaleOutbox.objects.filter(shop=OuterRef("pk"), status=status)
        .order_by()
        .values("shop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def trouble_filter() -> Q:
    """A grocery "en difficulté": suspended, key refused, stock sync failing, or failed sales.

    An unreadable key makes every stock sync fail, so those groceries are in it too.
    """
    failed_sales = SaleOutbox.objects.filter(shop=OuterRef("pk"), status=SaleStatus.FAILED)
    return (
        Q(suspended_at__isnull=False)
        | Q(escarcelle_connection__key_rejected_at__isnull=False)
        | Q(escarcelle_stock_sync__consecutive_failures__gt=0)
        | Q(escarcelle_stock_sync__last_result=SyncResult.FAILED)
        | Q(Exists(failed_sales))
    )


def fleet_shops(*, query: str = "", trouble: bool = False) -> QuerySet[Shop]:
    last_import = (
        ImportPlan.objects.filter(shop=OuterRef("pk"), applied_at__isnull=False)
        .order_by("-applied_at")
        .values("applied_at")[:1]
    )
    shops = (
        Shop.objects.select_related("escarcelle_connection", "escarcelle_stock_sync")
        .annotate(
            sales_pending=_sales_count(SaleStatus.PENDING),
            sales_failed=_sales_count(SaleStatus.FAILED),
            last_import_at=Subquery(last_import),
        )
        .order_by("name", "pk")
    )
    query = query.strip()
    if query:
        shops = shops.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    if trouble:
        shops = shops.filter(trouble_filter())
    return shops


@dataclasses.dataclass(frozen=True)
class FleetRow:
    shop: Shop
    state: str
    last_sync_at: datetime.datetime | None
    last_sync_result: str
    last_sync_error: str
    consecutive_failures: int
    sales_pending: int
    sales_failed: int
    last_import_at: datetime.datetime | None

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def in_trouble(self) -> bool:
        return (
            self.shop.suspended_at is not None
            or self.state in (KEY_REFUSED, KEY_UNREADABLE)
            or self.consecutive_failures > 0
            or self.last_sync_result == SyncResult.FAILED
            or self.sales_failed > 0
        )

    def as_json(self) -> dict[str, object]:
        def when(value: datetime.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "slug": self.shop.slug,
            "name": self.shop.name,
            "suspended": self.shop.suspended_at is not None,
            "escarcelle": self.state,
            "last_sync_at": when(self.last_sync_at),
            "last_sync_result": self.last_sync_result or None,
            "consecutive_failures": self.consecutive_failures,
            "sales_pending": self.sales_pending,
            "sales_failed": self.sales_failed,
            "last_import_at": when(self.last_import_at),
            "in_trouble": self.in_trouble,
        }


def connection_state(connection: Connection | None) -> str:
    if connection is None:
        return NOT_CONNECTED
    if connection.key_rejected_at is not None:
        return KEY_REFUSED
    try:
        crypto.decrypt(connection.api_key_encrypted)
    except crypto.UndecryptableKey:
        return KEY_UNREADABLE
    return CONNECTED


def fleet_row(shop: Shop) -> FleetRow:
    """One row from a shop of ``fleet_shops`` (no query)."""
    connection: Connection | None = getattr(shop, "escarcelle_connection", None)
    state: StockSyncState | None = getattr(shop, "escarcelle_stock_sync", None)
    return FleetRow(
        shop=shop,
        state=connection_state(connection),
        last_sync_at=state.last_attempt_at if state else None,
        last_sync_result=state.last_result if state else "",
        last_sync_error=state.error_message if state else "",
        consecutive_failures=state.consecutive_failures if state else 0,
        sales_pending=getattr(shop, "sales_pending", 0),
        sales_failed=getattr(shop, "sales_failed", 0),
        last_import_at=getattr(shop, "last_import_at", None),
    )
