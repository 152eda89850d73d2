from __future__ import annotations

from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    """The operator space (/operateur/), health checks (/sante/) and metrics (/metrics)."""

    name = "operators"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from operators import metrics, tasks  # noqa: F401  registers the heartbeat tick

        metrics.task_signals_connect()
