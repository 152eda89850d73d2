"""How the Escarcelle connector plugs into the core: a signal and two registries, filled from
the connector's ``AppConfig.ready()``. (That the core never imports the connector is checked by
import-linter, in ``make test``.)"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from distributions.availability import available_quantities, stock_figures
from distributions.models import OrderStatus
from distributions.services import distribution_validate
from distributions.signals import distribution_validated
from escarcelle.sales import tasks as sales_tasks
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.views import SETTINGS_SECTIONS
from tests.factories import (
    connect,
    make_beneficiary,
    make_distribution,
    make_order,
    make_product,
)

D = Decimal
# Only the key, the account id and the name are read: no emulator needed, nothing is sent.
ACCOUNT = SimpleNamespace(api_key="esc_test_key_0001", account_id="acc-1", name="Compte test")


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The distributions whose sales delivery was queued (instead of queueing it)."""
    calls: list[int] = []
    monkeypatch.setattr(sales_tasks, "sales_deliver_task", calls.append)
    return calls


def test_validating_a_connected_shops_distribution_records_its_sales_through_the_signal(
    shop, manager, queued, django_capture_on_commit_callbacks
):
    connect(shop=shop, account=ACCOUNT)
    milk = make_product(shop=shop, name="Lait", escarcelle_id="P-1", stock_source="escarcelle")
    distribution = make_distribution(shop=shop, state="closed")
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={milk: 2},
    )
    assert distribution_validated.has_listeners()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        distribution_validate(distribution=distribution, user=manager)
        # Recorded in the validation's transaction; the delivery waits for the commit.
        sale = SaleOutbox.objects.get(order=order)
        assert sale.status == SaleStatus.PENDING
        assert queued == []
    assert callbacks and queued == [distribution.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED


def test_a_shop_that_is_not_connected_records_nothing_and_queues_nothing(
    shop, manager, queued, django_capture_on_commit_callbacks
):
    rice = make_product(shop=shop, name="Riz")
    distribution = make_distribution(shop=shop, state="closed")
    make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    with django_capture_on_commit_callbacks(execute=True):
        distribution_validate(distribution=distribution, user=manager)
    assert not SaleOutbox.objects.exists() and queued == []


def test_escarcelle_products_are_counted_by_the_source_the_connector_registered(shop):
    # Product.stock is not Escarcelle's figure: never read, nothing can be ordered.
    milk = make_product(shop=shop, stock="7", stock_source="escarcelle")
    rice = make_product(shop=shop, stock="7")
    assert available_quantities(shop=shop) == {milk.pk: D("0"), rice.pk: D("7")}
    assert stock_figures(shop=shop)[milk.pk].quantity is None


def test_the_synchro_page_shows_the_stock_section_then_the_sales_section(shop, manager_client):
    assert SETTINGS_SECTIONS == (
        "escarcelle_stock/_settings_section.html",
        "escarcelle_sales/_settings_section.html",
    )
    page = manager_client.get(reverse("escarcelle:settings", kwargs={"shop_slug": shop.slug}))
    html = page.content.decode()
    assert 0 < html.index("Synchronisation des stocks") < html.index("Envoi des ventes")
