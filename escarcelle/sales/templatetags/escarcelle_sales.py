"""``{% escarcelle_sales_state distribution as sales %}``: the context of the sales section,
so the distribution's page includes it without its view knowing about Escarcelle."""

from __future__ import annotations

from typing import Any

from django import template

from distributions.models import Distribution
from escarcelle.sales.selectors import distribution_sales_state, shop_sales_counts
from shops.models import Shop

register = template.Library()


@register.simple_tag
def escarcelle_sales_state(distribution: Distribution) -> dict[str, Any]:
    return distribution_sales_state(distribution=distribution)


@register.simple_tag
def escarcelle_sales_counts(shop: Shop) -> dict[str, int]:
    return shop_sales_counts(shop=shop)
