"""Two confirmations at the same time: one wins, the other gets a clear message."""

from __future__ import annotations

import functools

import pytest

from catalog.models import Product
from epiclic.errors import Refusal
from escarcelle.imports.plans import (
    import_plan_apply,
    import_plan_build,
    import_plan_create,
)
from tests.concurrency import run_together


@pytest.mark.django_db(transaction=True)
def test_two_plans_confirmed_at_the_same_time_create_no_duplicate(connected, shop, manager):
    connected.seed(products=40, beneficiaries=0)
    plans = []
    for _ in range(2):
        plan = import_plan_create(shop=shop, kind="products", user=manager)
        import_plan_build(plan_id=plan.pk)
        plans.append(plan)

    def confirm(plan_id: int) -> str:
        try:
            import_plan_apply(shop=shop, plan_id=plan_id, user=manager)
        except Refusal as refused:
            return refused.message
        return "applied"

    outcomes = run_together(*(functools.partial(confirm, p.pk) for p in plans), timeout=30)
    assert outcomes.count("applied") == 1, outcomes
    assert any("Un autre import" in o for o in outcomes)
    ids = list(Product.objects.filter(shop=shop).values_list("escarcelle_id", flat=True))
    assert len(ids) == len(set(ids)) > 30
