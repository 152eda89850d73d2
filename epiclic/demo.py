"""The demo grocery, seeded app by app in the order their data depends on.

The project package is the one place that knows every app, so it calls each app's ``seed``
explicitly: shops (the grocery and its people), then catalog, then distributions.
"""

from __future__ import annotations

from catalog import demo as catalog_demo
from distributions import demo as distributions_demo
from shops import demo as shops_demo
from shops.models import Shop


def seed_demo() -> Shop:
    shop = shops_demo.seed()
    catalog_demo.seed(shop)
    distributions_demo.seed(shop)
    return shop
