"""Queue down ≠ request failed: with Redis unreachable, validating a distribution, *Synchroniser
maintenant* and *Import Escarcelle* answer normally, and the periodic sweeps do the work."""

from __future__ import annotations

import datetime

import pytest
import redis
from django.urls import reverse
from django.utils import timezone

from escarcelle.imports.plans import import_plans_build_pending
from escarcelle.models import ImportPlan
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import sales_sweep
from escarcelle.stock.models import StockSyncRun, StockSyncState
from escarcelle.stock.tasks import stock_sync_task, stock_sync_tick_run
from imports.models import PlanStatus
from tests.escarcelle.sales.helpers import closed_distribution
from tests.factories import bind_products, connect


@pytest.fixture
def connected_shop(shop, sim):
    sim.seed(products=5, beneficiaries=0)
    connect(shop=shop, account=sim)
    return shop, bind_products(shop=shop, account=sim)


def shop_url(shop, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"shop_slug": shop.slug, **kwargs})


def test_the_fixture_really_makes_queueing_fail(queue_down, connected_shop):
    shop, _products = connected_shop
    with pytest.raises(redis.ConnectionError):
        stock_sync_task(shop.pk)


@pytest.mark.django_db(transaction=True)  # the delivery is queued when the validation commits
def test_validation_answers_normally_and_the_sweep_sends_the_sales(queue_down, sim, shop, client):
    sim.seed(products=5, beneficiaries=0)
    scene = closed_distribution(shop=shop, account=sim, orders=3, lines=2)
    client.force_login(scene.manager)
    response = client.post(shop_url(shop, "distributions:validate", pk=scene.distribution.pk))
    assert response.status_code == 302
    scene.distribution.refresh_from_db()
    assert scene.distribution.validated_at is not None
    page = client.get(response.url).content.decode()
    assert "partiront dès que possible" in page
    assert SaleOutbox.objects.filter(status=SaleStatus.PENDING).count() == 3
    sales_sweep(now=timezone.now())
    assert SaleOutbox.objects.filter(status=SaleStatus.SENT).count() == 3


def test_synchroniser_maintenant_says_the_sync_will_go_and_the_tick_runs_it(
    queue_down, connected_shop, manager_client
):
    shop, _products = connected_shop
    StockSyncState.objects.create(
        shop=shop, next_run_at=timezone.now() + datetime.timedelta(minutes=40)
    )
    response = manager_client.post(shop_url(shop, "escarcelle:stocks_sync"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "partira dès que possible" in response.content.decode()
    plain = manager_client.post(shop_url(shop, "escarcelle:stocks_sync"), follow=True)
    assert plain.status_code == 200 and "partira dès que possible" in plain.content.decode()
    assert not StockSyncRun.objects.exists()
    # The worker's minute tick (the queue answers again) finds the shop due and syncs it.
    queue_down.immediate = True
    assert stock_sync_tick_run() == [shop.pk]
    assert StockSyncRun.objects.filter(shop=shop, result="ok").count() == 1


def test_import_escarcelle_says_the_worker_is_unreachable_and_the_sweep_builds_it(
    queue_down, connected, shop, manager_client
):
    response = manager_client.post(shop_url(shop, "escarcelle:import_products"), follow=True)
    assert response.status_code == 200
    assert "ne répond pas" in response.content.decode()
    plan = ImportPlan.objects.get(shop=shop)
    assert plan.status == PlanStatus.PENDING
    # A minute later, still no worker: the preview says so instead of spinning.
    ImportPlan.objects.filter(pk=plan.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    here = response.redirect_chain[-1][0]
    poll = manager_client.get(here, {"poll": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "ne répond pas" in poll and "aria-busy" not in poll
    assert import_plans_build_pending() == 1
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY
    assert import_plans_build_pending() == 0  # built once


def test_the_sweep_leaves_a_fresh_plan_to_its_task(connected, shop, manager):
    from escarcelle.imports.plans import import_plan_create

    plan = import_plan_create(shop=shop, kind="products", user=manager)
    assert import_plans_build_pending() == 0
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING
