"""The sales outbox: validated orders on their way to Escarcelle, exactly once in effect."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from distributions.models import Distribution, Order
from shops.models import Shop


class SaleStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    SENT = "sent", _("envoyée")
    FAILED = "failed", _("en échec")


class SaleOutbox(models.Model):
    """One record per validated order, written in the validation's transaction.

    ``idempotency_key`` is derived from the shop, the order and ``version`` so that every
    retry of the same payload sends the same key; ``version`` only changes when a manager
    resends a sale whose content had to change.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="escarcelle_sales")
    distribution = models.ForeignKey(
        Distribution, on_delete=models.CASCADE, related_name="escarcelle_sales"
    )
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="escarcelle_sale")
    version = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=128, unique=True)
    payload = models.JSONField()
    skipped_lines = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=SaleStatus.choices, default=SaleStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Set with ``claimed_until`` by the worker that won the claim; it only writes back its rows.
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    # The Escarcelle product a refused line named (to say which product in French).
    error_product_id = models.CharField(max_length=64, blank=True)
    # Something the manager should know about a sale that went through (e.g. sent without
    # the beneficiary Escarcelle did not know).
    note = models.TextField(blank=True)
    # When the shop's contact was told this sale was stuck (one e-mail, not one per attempt).
    alerted_at = models.DateTimeField(null=True, blank=True)
    escarcelle_sale_id = models.CharField(max_length=64, null=True, blank=True)
    # The Escarcelle ledger sequence at which the sale applied (the stock sync's rule uses it).
    sequence = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vente à envoyer")
        verbose_name_plural = _("ventes à envoyer")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="sale_outbox_due"),
            models.Index(fields=["shop", "status"], name="sale_outbox_shop_status"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key
