from __future__ import annotations

from django.apps import AppConfig


class EpiclicConfig(AppConfig):
    name = "epiclic"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from epiclic import tasks  # noqa: F401  registers the e-mail tasks and the enqueue hook
