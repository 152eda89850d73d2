from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shops.models import Membership, Role

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

    def other_shops() -> bool:
        return Membership.objects.filter(user_id=membership.user_id, pending=False).count() > 1

    return {
        "shop": membership.shop,
        "membership": membership,
        "is_manager": membership.role == Role.MANAGER,
        "nav_tabs": nav_tabs,
        # A callable, which the template calls where it asks: only a whole page's header does,
        # so the partials sent to htmx (the cart, the poll) cost no query for it.
        "other_shops": other_shops,
    }
