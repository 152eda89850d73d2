"""The connector's state: the connection to an Escarcelle account, its import plans and their
history (the plans themselves are the import pipeline's, ``imports``)."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escarcelle import crypto
from imports import models as imports_models
from imports.models import ImportKind, ImportSource
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
    # After a confirmed change of account: the account the shop's bindings (products,
    # beneficiaries) were kept aside from, until a products import of the new account links or
    # replaces them; the stock sync names the cause meanwhile.
    previous_account_id = models.CharField(max_length=64, blank=True)
    previous_account_name = models.CharField(max_length=200, blank=True)
    account_changed_at = models.DateTimeField(null=True, blank=True)
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

    @property
    def key_readable(self) -> bool:
        """False when the stored key cannot be decrypted (SECRET_KEY changed, no fallback)."""
        try:
            self.api_key  # noqa: B018
        except crypto.UndecryptableKey:
            return False
        return True


class EscarcelleImportPlanManager(models.Manager["ImportPlan"]):
    def get_queryset(self) -> models.QuerySet[ImportPlan]:
        return super().get_queryset().filter(source=ImportSource.ESCARCELLE)


class ImportPlan(imports_models.ImportPlan):
    """The plans of Escarcelle imports: one fetch of the remote list, stored until confirmed.

    Everything else (rows, statuses, lifetime, stale rule, apply) is the import pipeline's
    (``imports``). ``origin`` is the Escarcelle account the list was read from: a plan built
    for another account than the shop's current one is refused.
    """

    objects: ClassVar[EscarcelleImportPlanManager] = EscarcelleImportPlanManager()
    # Still pending after this long: no worker took its task (queue unreachable or lost); the
    # periodic sweep builds it and the preview says the worker does not answer.
    QUEUE_GRACE = datetime.timedelta(minutes=1)

    class Meta:
        proxy = True
        verbose_name = _("plan d'import Escarcelle")
        verbose_name_plural = _("plans d'import Escarcelle")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.source = ImportSource.ESCARCELLE
        super().save(*args, **kwargs)

    @property
    def waits_for_worker(self) -> bool:
        return (
            self.status == imports_models.PlanStatus.PENDING
            and timezone.now() - self.created_at > self.QUEUE_GRACE
        )


class RunResult(models.TextChoices):
    SUCCESS = "success", _("réussi")
    FAILED = "failed", _("échec")


class ImportRun(models.Model):
    """History: one line per import attempt (preview that failed, or confirmation)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="escarcelle_runs")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    plan = models.ForeignKey(
        imports_models.ImportPlan, on_delete=models.SET_NULL, null=True, blank=True
    )
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
