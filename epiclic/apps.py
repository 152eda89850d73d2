from __future__ import annotations

from django.apps import AppConfig


class EpiclicConfig(AppConfig):
    name = "epiclic"
