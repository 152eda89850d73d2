from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """E-mails to beneficiaries around a distribution (opening, reminders, order changes)."""

    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here because models cannot be imported before the app registry is ready.
        from distributions.signals import distribution_validated, order_changed, orders_opened
        from notifications import tasks

        orders_opened.connect(tasks.on_orders_opened, dispatch_uid="notifications.orders_opened")
        order_changed.connect(tasks.on_order_changed, dispatch_uid="notifications.order_changed")
        distribution_validated.connect(
            tasks.on_distribution_validated, dispatch_uid="notifications.validated"
        )
