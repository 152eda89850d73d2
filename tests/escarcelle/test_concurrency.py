"""Two confirmations at the same time: one wins, the other gets a clear message."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from catalog.models import Product
from epiclic.errors import Refusal
from escarcelle.imports.plans import (
    import_plan_apply,
    import_plan_build,
    import_plan_create,
)


@pytest.mark.django_db(transaction=True)
def test_two_plans_confirmed_at_the_same_time_create_no_duplicate(connected, shop, manager):
    connected.seed(products=40, beneficiaries=0)
    plans = []
    for _ in range(2):
        plan = import_plan_create(shop=shop, kind="products", user=manager)
        import_plan_build(plan_id=plan.pk)
        plans.append(plan)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(plan_id: int) -> None:
        try:
            barrier.wait()
            import_plan_apply(shop=shop, plan_id=plan_id, user=manager)
            outcomes.append("applied")
        except Refusal as refused:
            outcomes.append(refused.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(p.pk,)) for p in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes.count("applied") == 1, outcomes
    assert any("Un autre import" in o for o in outcomes)
    ids = list(Product.objects.filter(shop=shop).values_list("escarcelle_id", flat=True))
    assert len(ids) == len(set(ids)) > 30
