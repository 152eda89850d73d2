from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """E-mails to beneficiaries around a distribution (opening, reminders, order changes)."""

    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
