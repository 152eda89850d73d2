from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shops.models import Role

MANAGER_TABS = [
    ("catalog:products", _("Produits")),
    ("catalog:catalogues", _("Catalogues")),
    ("escarcelle:stocks", _("Stocks")),
    ("distributions:list", _("Distributions")),
    ("reports:index", _("Rapports")),
    ("shops:beneficiaries", _("Bénéficiaires")),
    ("shops:settings", _("Paramètres")),
]
BENEFICIARY_TABS = [
    ("distributions:order", _("Commander")),
    ("distributions:my_orders", _("Mes commandes")),
    ("distributions:account", _("Mon compte")),
]


def shop(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    tabs = MANAGER_TABS if membership.role == Role.MANAGER else BENEFICIARY_TABS
    nav_tabs = []
    for url_name, label in tabs:
        url = reverse(url_name, kwargs={"shop_slug": membership.shop.slug})
        nav_tabs.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return {
        "shop": membership.shop,
        "membership": membership,
        "is_manager": membership.role == Role.MANAGER,
        "nav_tabs": nav_tabs,
        # Read with the membership (``access_shop``): no query of its own.
        "other_shops": getattr(request, "other_shops", False),
    }
