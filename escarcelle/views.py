from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from epiclic.placeholders import placeholder
from shops.access import manager_view


@manager_view
def stocks(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Stocks"),
        _(
            "Ici apparaîtront vos stocks : la quantité dans Escarcelle, la part réservée par "
            "les commandes en ligne et ce qui reste disponible."
        ),
    )


@manager_view
def settings_page(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Synchro Escarcelle"),
        _("Ici vous pourrez enregistrer votre clé Escarcelle et suivre les synchronisations."),
    )


@manager_view
def import_products(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Import Escarcelle"),
        _(
            "Epiclic ira chercher votre liste de produits sur Escarcelle "
            "et vous proposera de les importer."
        ),
    )


@manager_view
def import_beneficiaries(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Import des bénéficiaires Escarcelle"),
        _(
            "Epiclic ira chercher vos bénéficiaires sur Escarcelle "
            "et vous proposera de les importer."
        ),
    )
