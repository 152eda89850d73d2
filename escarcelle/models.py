"""The connector's state: the connection to an Escarcelle account, imports and their history."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escarcelle import crypto
from shops.models import Shop


class Connection(models.Model):
    """A shop's Escarcelle API key (encrypted) and the account it opens."""

    shop = models.OneToOneField(
        Shop, on_delete=models.CASCADE, related_name="escarcelle_connection"
    )
    api_key_encrypted = models.TextField()
    key_last4 = models.CharField(max_length=4)
    account_id = models.CharField(max_length=64)
    account_name = models.CharField(max_length=200)
    connected_at = models.DateTimeField(default=timezone.now)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when Escarcelle answers 401 later on; saving a new key clears it. Scheduled syncs
    # stop while it is set.
    key_rejected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("connexion Escarcelle")
        verbose_name_plural = _("connexions Escarcelle")

    def __str__(self) -> str:
        return f"{self.shop} → {self.account_name}"

    def __repr__(self) -> str:
        return f"<Connection shop={self.shop_id} account={self.account_id}>"

    @property
    def api_key(self) -> str:
        return crypto.decrypt(self.api_key_encrypted)

    @property
    def masked_key(self) -> str:
        return f"••••••••{self.key_last4}"

    @property
    def is_usable(self) -> bool:
        return self.key_rejected_at is None


class ImportKind(models.TextChoices):
    PRODUCTS = "products", _("produits")
    BENEFICIARIES = "beneficiaries", _("bénéficiaires")


class PlanStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    FETCHING = "fetching", _("récupération")
    PLANNING = "planning", _("calcul")
    READY = "ready", _("prêt")
    FAILED = "failed", _("échec")
    APPLIED = "applied", _("appliqué")


class ImportPlan(models.Model):
    """What an import will do, computed from one fetch and stored until it is confirmed.

    The confirmation applies ``rows`` exactly as previewed (minus ``opted_out``) and never
    calls Escarcelle again. ``base_version`` is the id of the last applied plan of the same
    kind when this one was built: if another import was applied since, the plan is stale.
    """

    LIFETIME = datetime.timedelta(hours=2)
    # A build still unfinished after this long was lost (worker stopped): stop polling.
    BUILD_TIMEOUT = datetime.timedelta(minutes=15)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="escarcelle_plans")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default="pending")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    account_id = models.CharField(max_length=64, blank=True)
    base_version = models.BigIntegerField(default=0)
    rows = models.JSONField(default=list)
    counts = models.JSONField(default=dict)
    opted_out = models.JSONField(default=list)
    error = models.TextField(blank=True)
    fetch_s = models.FloatField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("plan d'import Escarcelle")
        verbose_name_plural = _("plans d'import Escarcelle")
        indexes = [models.Index(fields=["shop", "kind", "applied_at"], name="esc_plan_applied")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.expires_at is None:
            self.expires_at = (self.created_at or timezone.now()) + self.LIFETIME
        super().save(*args, **kwargs)

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_building(self) -> bool:
        return self.status in (PlanStatus.PENDING, PlanStatus.FETCHING, PlanStatus.PLANNING)

    @property
    def is_stalled(self) -> bool:
        return self.is_building and timezone.now() - self.created_at > self.BUILD_TIMEOUT


class RunResult(models.TextChoices):
    SUCCESS = "success", _("réussi")
    FAILED = "failed", _("échec")


class ImportRun(models.Model):
    """History: one line per import attempt (preview that failed, or confirmation)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="escarcelle_runs")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    plan = models.ForeignKey(ImportPlan, on_delete=models.SET_NULL, null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    counts = models.JSONField(default=dict)
    result = models.CharField(max_length=10, choices=RunResult.choices)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("import Escarcelle")
        verbose_name_plural = _("imports Escarcelle")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"
