"""The sent-log of notifications: one row per person, kind and event, whatever happens."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from distributions.models import Distribution
from epiclic.models import EmailStatus, OutgoingEmail
from shops.models import Membership, NotificationKind, Shop

NO_ADDRESS = _("pas d'adresse e-mail")

STATUS_LABELS = {
    EmailStatus.PENDING: _("en attente"),
    EmailStatus.SENT: _("envoyé"),
    EmailStatus.FAILED: _("échec"),
}


class Notification(models.Model):
    """One notification decided for one person and one event (``event_key``).

    Written in the same transaction as its e-mail (``email``): the unique key makes a second
    run of the same task, or a run after a worker died, find the row and send nothing. A row
    without e-mail says why (``skipped_reason``), so the grocery sees who was not notified.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications"
    )
    distribution = models.ForeignKey(
        Distribution, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("notification"), max_length=30, choices=NotificationKind.choices)
    event_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    # The sent e-mail is forgotten after a while (epiclic.emails.email_purge): the row stays.
    email = models.ForeignKey(
        OutgoingEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    skipped_reason = models.CharField(_("non envoyé"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("notification envoyée")
        verbose_name_plural = _("notifications envoyées")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "membership", "event_key"], name="notification_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["distribution", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.membership_id} ({self.event_key})"

    @property
    def status_label(self) -> str:
        """What the grocery reads: en attente / envoyé / échec, or why it was not sent."""
        if self.skipped_reason:
            return str(self.skipped_reason)
        if self.email is None:  # sent, then purged with the old e-mails
            return str(STATUS_LABELS[EmailStatus.SENT])
        return str(STATUS_LABELS.get(EmailStatus(self.email.status), self.email.status))
