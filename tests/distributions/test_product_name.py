"""Past orders keep the product name they were placed with."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.test import Client
from django.urls import reverse

from distributions.documents import lines_table, preparation_sheets
from distributions.models import OrderLine
from distributions.services import order_confirm
from shops.models import Role
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_membership,
    make_order,
    make_product,
)


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"distributions:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def test_a_renamed_product_keeps_its_old_name_on_past_orders(shop):
    product = make_product(shop=shop, name="Pommes Golden", stock="10")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[product])]
    )
    profile = make_beneficiary(shop=shop)
    order_confirm(
        membership=profile.membership, distribution=distribution, quantities={product.pk: 2}
    )
    assert OrderLine.objects.get().product_name == "Pommes Golden"
    product.name = "Pommes Gala"
    product.save()

    member = Client()
    member.force_login(profile.membership.user)
    mine = member.get(url("my_orders", shop)).content.decode()
    assert "Pommes Golden" in mine and "Pommes Gala" not in mine

    manager = Client()
    manager.force_login(make_membership(shop=shop, role=Role.MANAGER).user)
    detail = manager.get(url("detail", shop, pk=distribution.pk)).content.decode()
    # The beneficiary's line says what was ordered (the by-product table names the product).
    assert "Pommes Golden" in detail

    sheets = preparation_sheets(distribution=distribution)
    assert [line.name for line in sheets.bags[0].lines] == ["Pommes Golden"]
    assert list(lines_table(sheets).rows)[0][4] == "Pommes Golden"


def test_the_migration_copies_the_current_names_of_existing_lines(shop):
    product = make_product(shop=shop, name="Lentilles")
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=make_distribution(shop=shop),
        lines={product: 1},
    )
    OrderLine.objects.filter(order=order).update(product_name="")
    migration = importlib.import_module("distributions.migrations.0003_slots_product_name")
    migration.copy_product_names(apps, None)
    assert OrderLine.objects.get(order=order).product_name == "Lentilles"
