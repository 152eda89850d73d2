"""Stock read from Escarcelle (the hourly sync): figures per product, sync state and history."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from shops.models import Shop


class StockLevel(models.Model):
    """Escarcelle's quantity of one bound product, as of the shop's reading sequence.

    ``quantity`` is stored as read, negative included (goods handed over before a restock was
    recorded); screens clamp it at zero. ``sequence`` is the ledger sequence of the product's
    last movement; ``read_at`` when this row was last written (by a sync or a live read).
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="escarcelle_stock_levels")
    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, related_name="escarcelle_stock"
    )
    quantity = models.DecimalField(_("quantité Escarcelle"), max_digits=14, decimal_places=3)
    sequence = models.BigIntegerField(default=0)
    read_at = models.DateTimeField()
    # The ledger sequence ``quantity`` is consistent with when it was read alone, newer than
    # the shop's reading (a live check at confirmation); None: the shop's reading sequence.
    read_sequence = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock Escarcelle")
        verbose_name_plural = _("stocks Escarcelle")
        indexes = [models.Index(fields=["shop", "product"], name="stocklevel_shop_product")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.quantity}"


class SyncResult(models.TextChoices):
    OK = "ok", _("réussie")
    FAILED = "failed", _("en échec")


class SyncKind(models.TextChoices):
    FULL = "full", _("complète")
    INCREMENTAL = "incremental", _("mouvements")


class StockSyncState(models.Model):
    """Where a shop's stock sync stands: one row per shop, also the worker's lease.

    ``sequence`` is the Escarcelle ledger sequence the shop's ``StockLevel`` rows are current
    to (None: never read). A worker may sync the shop only after winning the lease with a
    conditional UPDATE on ``claimed_until`` (see ``services.stock_sync_claim``).
    """

    shop = models.OneToOneField(
        Shop, on_delete=models.CASCADE, related_name="escarcelle_stock_sync"
    )
    sequence = models.BigIntegerField(null=True, blank=True)
    full_read_at = models.DateTimeField(null=True, blank=True)
    # Lower bound of the next `GET /products?updated_since=` (archived products check).
    products_checked_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=10, choices=SyncResult.choices, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_run_at = models.DateTimeField(null=True, blank=True)
    # "Synchroniser maintenant": when a manager asked; the page polls until an attempt follows.
    requested_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    failure_notified_at = models.DateTimeField(null=True, blank=True)
    recovery_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("état de la synchro des stocks")
        verbose_name_plural = _("états de la synchro des stocks")
        indexes = [models.Index(fields=["next_run_at"], name="stocksync_next_run")]

    def __str__(self) -> str:
        return f"{self.shop_id} @ {self.sequence}"


class StockSyncRun(models.Model):
    """One attempt, for the history shown to managers (pruned after ``HISTORY_DAYS``)."""

    HISTORY_DAYS = 30

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="escarcelle_stock_runs")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=SyncKind.choices)
    result = models.CharField(max_length=10, choices=SyncResult.choices)
    products_changed = models.PositiveIntegerField(default=0)
    unknown_ignored = models.PositiveIntegerField(default=0)
    products_archived = models.PositiveIntegerField(default=0)
    sequence = models.BigIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        verbose_name = _("synchro des stocks")
        verbose_name_plural = _("synchros des stocks")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["shop", "-started_at"], name="stocksyncrun_shop_started")]

    def __str__(self) -> str:
        return f"{self.shop_id} {self.started_at:%Y-%m-%d %H:%M} {self.result}"


class WebhookEndpoint(models.Model):
    """Where Escarcelle pushes a shop's stock movements (webhook_views.py), and how it goes.

    ``token`` makes the URL unguessable; every delivery must also carry a valid signature with
    ``secret_encrypted`` (encrypted like the API key). Counters and the last event are shown
    on the Stocks page, so that a manager sees whether pushed updates arrive.
    """

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="escarcelle_webhook")
    token = models.CharField(max_length=64, unique=True)
    remote_id = models.CharField(max_length=64, blank=True)
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_event_sequence = models.BigIntegerField(null=True, blank=True)
    last_delay_ms = models.PositiveIntegerField(null=True, blank=True)
    events_applied = models.PositiveIntegerField(default=0)
    events_ignored = models.PositiveIntegerField(default=0)
    events_rejected = models.PositiveIntegerField(default=0)
    last_rejected_at = models.DateTimeField(null=True, blank=True)
    last_rejection = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("webhook Escarcelle")
        verbose_name_plural = _("webhooks Escarcelle")

    def __str__(self) -> str:
        return f"{self.shop_id} {self.remote_id}"
