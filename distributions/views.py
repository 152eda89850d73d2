from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from epiclic.placeholders import placeholder
from shops.access import beneficiary_view, manager_view


@manager_view
def distribution_list(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Distributions"),
        _("Ici apparaîtront vos distributions : dates, lieux, ouverture des commandes."),
    )


@beneficiary_view
def order(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Commander"),
        _("Ici apparaîtront les distributions ouvertes à la commande et leurs produits."),
    )


@beneficiary_view
def my_orders(request: HttpRequest) -> HttpResponse:
    return placeholder(request, _("Mes commandes"), _("Ici apparaîtront vos commandes."))
