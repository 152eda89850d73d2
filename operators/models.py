"""The one row the readiness check reads: when the periodic tick last ran."""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """Written every minute by the worker's periodic ``heartbeat_tick`` (one row per name)."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M:%S}"
