from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "escarcelle.stock"
    label = "escarcelle_stock"
    verbose_name = _("Stocks Escarcelle")

    def ready(self) -> None:
        # Imported here because models cannot be imported before the app registry is ready.
        from django.db.models.signals import post_delete

        from catalog.models import StockSource
        from distributions.availability import (
            availability_source_register,
            live_reading_register,
        )
        from escarcelle.models import Connection
        from escarcelle.stock.availability import escarcelle_figures
        from escarcelle.stock.live import stock_live_read
        from escarcelle.stock.webhooks import webhook_forget_on_disconnect

        # Products whose stock comes from Escarcelle: what can be ordered is read from the
        # last reading, for the ordering pages and the Stocks page alike.
        availability_source_register(StockSource.ESCARCELLE, escarcelle_figures)
        # Before an order is confirmed, the cart's products are read again (live.py).
        live_reading_register(StockSource.ESCARCELLE, stock_live_read)
        # Removing the connection forgets the pushed-updates endpoint (webhooks.py).
        post_delete.connect(webhook_forget_on_disconnect, sender=Connection)
