from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from distributions.signals import distribution_validated


class SalesConfig(AppConfig):
    name = "escarcelle.sales"
    label = "escarcelle_sales"
    verbose_name = _("Ventes envoyées à Escarcelle")

    def ready(self) -> None:
        # Imported here because models cannot be imported before the app registry is ready.
        from escarcelle.sales.tasks import sales_record_on_validation

        # A validated distribution records its sales in the validation's own transaction.
        distribution_validated.connect(
            sales_record_on_validation, dispatch_uid="escarcelle_sales.record_on_validation"
        )
