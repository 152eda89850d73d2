from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "escarcelle.stock"
    label = "escarcelle_stock"
    verbose_name = _("Stocks Escarcelle")

    def ready(self) -> None:
        # Imported here because models cannot be imported before the app registry is ready.
        from catalog.models import StockSource
        from distributions.availability import availability_source_register
        from escarcelle.stock.availability import escarcelle_figures

        # Products whose stock comes from Escarcelle: what can be ordered is read from the
        # last reading, for the ordering pages and the Stocks page alike.
        availability_source_register(StockSource.ESCARCELLE, escarcelle_figures)
