"""Expired import plans are forgotten: they hold the whole fetched list."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from epiclic.errors import Refusal
from escarcelle.imports.plans import (
    import_plan_apply,
    import_plan_build,
    import_plan_create,
)
from escarcelle.models import ImportPlan, ImportRun
from imports.models import PlanStatus
from imports.selectors import plan_rows
from imports.services import plans_purge
from imports.tasks import plans_purge_task

LONG_AGO = datetime.timedelta(days=3)


def age(plan: ImportPlan, by: datetime.timedelta) -> None:
    ImportPlan.objects.filter(pk=plan.pk).update(
        created_at=plan.created_at - by, expires_at=plan.expires_at - by
    )


def built(shop, user) -> ImportPlan:
    plan = import_plan_create(shop=shop, kind="products", user=user)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY, plan.error
    return plan


def test_old_unapplied_plans_are_deleted_and_recent_ones_kept(connected, shop, manager):
    connected.seed(products=3, beneficiaries=0)
    old = built(shop, manager)
    recent = built(shop, manager)
    just_expired = built(shop, manager)
    age(old, LONG_AGO)
    age(just_expired, ImportPlan.LIFETIME)
    assert plans_purge() == 1
    assert set(ImportPlan.objects.values_list("pk", flat=True)) == {recent.pk, just_expired.pk}


def test_an_old_applied_plan_keeps_its_history_and_the_stale_check(connected, shop, manager):
    connected.seed(products=3, beneficiaries=0)
    stale = built(shop, manager)
    applied = built(shop, manager)
    import_plan_apply(shop=shop, plan_id=applied.pk, user=manager)
    age(applied, LONG_AGO)
    plans_purge()
    applied.refresh_from_db()
    assert plan_rows(applied) == [] and applied.status == PlanStatus.APPLIED
    assert applied.counts["new"] == 3
    assert ImportRun.objects.get(result="success").plan_id == applied.pk
    with pytest.raises(Refusal, match="Un autre import a été confirmé"):
        import_plan_apply(shop=shop, plan_id=stale.pk, user=manager)


def test_starting_an_import_purges_only_this_shops_old_plans(connected, shop, other_shop, manager):
    connected.seed(products=2, beneficiaries=0)
    mine = built(shop, manager)
    theirs = ImportPlan.objects.create(shop=other_shop, kind="products")
    age(mine, LONG_AGO)
    age(theirs, LONG_AGO)
    import_plan_create(shop=shop, kind="products", user=manager)
    assert not ImportPlan.objects.filter(pk=mine.pk).exists()
    assert ImportPlan.objects.filter(pk=theirs.pk).exists()


def test_the_daily_task_purges_every_shop(shop):
    plan = ImportPlan.objects.create(
        shop=shop, kind="beneficiaries", expires_at=timezone.now() - LONG_AGO
    )
    plans_purge_task.call_local()
    assert not ImportPlan.objects.filter(pk=plan.pk).exists()


def test_an_interrupted_apply_never_resumed_is_closed_when_its_rows_are_purged(shop):
    plan = ImportPlan.objects.create(
        shop=shop,
        kind="products",
        status=PlanStatus.APPLYING,
        apply_started_at=timezone.now() - LONG_AGO,
        expires_at=timezone.now() - LONG_AGO,
        row_count=3,
    )
    plans_purge()
    plan.refresh_from_db()
    assert (plan.status, plan.row_count) == (PlanStatus.FAILED, 0)
    assert "pas été reprise" in plan.error
    with pytest.raises(Refusal, match="pas prêt"):
        import_plan_apply(shop=shop, plan_id=plan.pk, user=None)
