from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "escarcelle.stock"
    label = "escarcelle_stock"
    verbose_name = _("Stocks Escarcelle")

    def ready(self) -> None:
        from escarcelle import views

        section = "escarcelle_stock/_settings_section.html"
        if section not in views.SETTINGS_SECTIONS:
            views.SETTINGS_SECTIONS.append(section)
