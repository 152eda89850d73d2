"""Saving the key of another Escarcelle account: a warning naming both accounts and an explicit
confirmation; then the old bindings wait aside (nothing deactivated) for the new account's
import, and the stock sync names the cause meanwhile."""

from __future__ import annotations

from django.urls import reverse

from catalog.models import Product
from escarcelle.imports.plans import import_plan_apply, import_plan_build, import_plan_create
from escarcelle.models import Connection
from escarcelle.stock.services import stock_sync_shop
from imports.models import PlanStatus
from tests.factories import bind_products


def settings_url(shop) -> str:
    return reverse("escarcelle:settings", kwargs={"shop_slug": shop.slug})


def test_the_key_of_another_account_needs_a_confirmation_naming_both_accounts(
    connected, shop, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    bound = bind_products(shop=shop, account=connected)
    other = connected.server.create_account(name="Autre épicerie")
    other.seed(products=2, beneficiaries=0)
    page = manager_client.post(settings_url(shop), {"action": "save", "api_key": other.api_key})
    text = page.content.decode()
    assert page.status_code == 200
    assert "« Autre épicerie »" in text and f"« {connected.name} »" in text
    connection = Connection.objects.get(shop=shop)
    assert connection.account_id == connected.account_id
    assert Product.objects.filter(shop=shop, escarcelle_id__isnull=False).count() == len(bound)

    confirmed = manager_client.post(
        settings_url(shop),
        {"action": "save", "api_key": other.api_key, "confirm_account_change": "on"},
    )
    assert confirmed.status_code == 302
    connection.refresh_from_db()
    assert connection.account_id == other.account_id
    # Kept aside: unbound, still there and still active; nothing to deactivate on import.
    kept = Product.objects.filter(shop=shop, pk__in=[p.pk for p in bound])
    assert kept.count() == len(bound) and all(p.active and not p.escarcelle_id for p in kept)


def test_the_stock_sync_names_the_account_change_until_the_new_account_is_imported(
    connected, shop, manager, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    bind_products(shop=shop, account=connected)
    assert stock_sync_shop(shop=shop).result == "ok"
    other = connected.server.create_account(name="Autre épicerie")
    other.seed(products=2, beneficiaries=0, seed=7)
    manager_client.post(
        settings_url(shop),
        {"action": "save", "api_key": other.api_key, "confirm_account_change": "on"},
    )
    failed = stock_sync_shop(shop=shop)
    assert failed.result != "ok"
    assert "étaient liés au compte" in failed.error_message
    assert connected.name in failed.error_message

    plan = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY and plan.counts.get("deactivate", 0) == 0
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    run = stock_sync_shop(shop=shop)
    assert run.result == "ok", run.error_message
    assert run.kind == "full"
