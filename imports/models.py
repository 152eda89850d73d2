"""The state of the import pipeline: a plan per preview, and its rows.

One lifetime, one stale rule and one status vocabulary for every import:

- a plan can be confirmed for ``LIFETIME`` after it was built;
- it is stale once another plan of the same shop and kind (products or beneficiaries, from
  any source) has started to apply since it was built: ``base_version`` is the id of the last
  such plan when this one was created;
- it is applied once: ``ready`` → ``applying`` (a conditional update) → ``applied``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from imports.rows import TO_APPLY
from shops.models import Shop


class ImportKind(models.TextChoices):
    PRODUCTS = "products", _("produits")
    BENEFICIARIES = "beneficiaries", _("bénéficiaires")


class ImportSource(models.TextChoices):
    CSV = "csv", _("fichier CSV")
    ESCARCELLE = "escarcelle", _("Escarcelle")


class PlanStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    READING = "reading", _("lecture de la source")
    PLANNING = "planning", _("calcul")
    READY = "ready", _("prêt")
    FAILED = "failed", _("échec")
    APPLYING = "applying", _("en cours d'application")
    APPLIED = "applied", _("appliqué")


class ImportPlan(models.Model):
    """What an import will do, computed once from its source and stored until confirmed.

    The confirmation applies the stored rows exactly (minus those the manager unticked) and
    never reads the source again. It writes in chunks, each in its own short transaction,
    and records its progress (``cursor``) with each chunk, so that an apply stopped midway
    can be resumed where it stopped.
    """

    LIFETIME = datetime.timedelta(hours=2)
    # A build still unfinished after this long was lost (worker stopped): stop polling.
    BUILD_TIMEOUT = datetime.timedelta(minutes=15)
    # An apply with no progress for this long was interrupted: it may be resumed.
    APPLY_TIMEOUT = datetime.timedelta(minutes=2)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="import_plans")
    source = models.CharField(max_length=20, choices=ImportSource.choices)
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default="pending")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Where the rows come from: the file's name, or the Escarcelle account id.
    origin = models.CharField(max_length=255, blank=True)
    base_version = models.BigIntegerField(default=0)
    # Rows per status, plus what the source left out ("duplicate_skipped"…).
    counts = models.JSONField(default=dict)
    # Why the plan cannot be applied at all (unreadable file, unreachable source).
    errors = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    read_s = models.FloatField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    # SHA-256 of the stored rows: the confirmation refuses rows altered after the preview.
    seal = models.CharField(max_length=64, blank=True)
    # Index of the last row applied; -1 before the first chunk.
    cursor = models.BigIntegerField(default=-1)
    heartbeat = models.DateTimeField(null=True, blank=True)
    apply_started_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # What the apply wrote so far: {"new": 3, "changed": 1, …}.
    done = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("plan d'import")
        verbose_name_plural = _("plans d'import")
        indexes = [
            models.Index(fields=["shop", "kind", "apply_started_at"], name="import_plan_version"),
            models.Index(fields=["expires_at"], name="import_plan_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} · {self.get_kind_display()} #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.expires_at is None:
            self.expires_at = (self.created_at or timezone.now()) + self.LIFETIME
        super().save(*args, **kwargs)

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_building(self) -> bool:
        return self.status in (PlanStatus.PENDING, PlanStatus.READING, PlanStatus.PLANNING)

    @property
    def is_stalled(self) -> bool:
        return self.is_building and timezone.now() - self.created_at > self.BUILD_TIMEOUT

    def is_interrupted(self, now: datetime.datetime | None = None) -> bool:
        """Applying, but with no progress for ``APPLY_TIMEOUT``: the process stopped."""
        if self.status != PlanStatus.APPLYING or self.heartbeat is None:
            return False
        return (now or timezone.now()) - self.heartbeat > self.APPLY_TIMEOUT

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or self.counts.get("error", 0) > 0

    @property
    def error(self) -> str:
        return " ".join(self.errors)

    @property
    def to_apply_count(self) -> int:
        """Rows the apply writes (opted-out rows included: an estimate for the progress)."""
        return sum(self.counts.get(s, 0) for s in TO_APPLY)

    @property
    def applied_count(self) -> int:
        return sum(self.done.get(s, 0) for s in TO_APPLY)


class PlanRow(models.Model):
    """One row of a plan (``imports.rows.Row`` as JSON), so a page reads 100 rows, not all.

    ``status``, ``key`` and ``target_id`` repeat the row's own, so that a source can check in
    SQL that the rows still fit the database before they are applied.
    """

    # The unique (plan, i) index serves every read; no other index, so that storing a hundred
    # thousand rows stays cheap.
    plan = models.ForeignKey(
        ImportPlan, on_delete=models.CASCADE, related_name="stored_rows", db_index=False
    )
    i = models.PositiveIntegerField()
    status = models.CharField(max_length=12)
    key = models.CharField(max_length=255, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    # False when the manager unticked the row in the preview.
    kept = models.BooleanField(default=True)
    # True when the manager declined a link proposed on a name alone (``Row.proposed_link``):
    # the row then creates a new object.
    declined = models.BooleanField(default=False)
    data = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "i"], name="plan_row_unique_i")]

    def __str__(self) -> str:
        return f"{self.plan_id}:{self.i}"
