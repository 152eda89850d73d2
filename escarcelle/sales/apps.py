from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "escarcelle.sales"
    label = "escarcelle_sales"
    verbose_name = _("Ventes envoyées à Escarcelle")

    def ready(self) -> None:
        from escarcelle import views

        section = "escarcelle_sales/_settings_section.html"
        if section not in views.SETTINGS_SECTIONS:
            views.SETTINGS_SECTIONS.append(section)
