from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from epiclic.placeholders import placeholder
from shops.access import manager_view


@manager_view
def product_list(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Produits"),
        _("Ici apparaîtront vos produits, avec le menu Import/Export."),
    )


@manager_view
def catalogue_list(request: HttpRequest) -> HttpResponse:
    return placeholder(
        request,
        _("Catalogues"),
        _("Ici apparaîtront vos catalogues : les ensembles de produits proposés à la commande."),
    )
