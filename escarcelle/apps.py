from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscarcelleConfig(AppConfig):
    name = "escarcelle"
    verbose_name = _("Synchro Escarcelle")
