"""Models of the project package: the e-mail outbox (see ``epiclic.emails``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class EmailStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class OutgoingEmail(models.Model):
    """One e-mail to send, written in the transaction that decided to send it.

    Who (``to``, ``shop_id``), what (``kind``, ``subject``) and, on failure, why
    (``last_error``) stay recorded; the bodies and headers are cleared once sent, so that no
    sign-in or opt-out link lingers in the database.
    """

    kind = models.CharField(max_length=60)
    # No foreign key: the e-mail module sits below the apps and outlives a deleted shop's rows.
    shop_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Extra message headers ({name: value}): a notification's List-Unsubscribe.
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {', '.join(self.to)} ({self.status})"
