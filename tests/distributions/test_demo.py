from __future__ import annotations

from distributions import demo
from distributions.models import Distribution, DistributionState, Order
from epiclic.demo import seed_demo
from tests.factories import make_shop


def test_the_demo_has_an_open_and_a_closed_distribution_with_orders(db):
    shop = seed_demo()
    states = sorted(d.state for d in Distribution.objects.filter(shop=shop))
    assert states == [DistributionState.CLOSED, DistributionState.OPEN]
    open_ = next(d for d in Distribution.objects.all() if d.state == DistributionState.OPEN)
    assert open_.catalogues.count() >= 2
    assert Order.objects.filter(distribution=open_).count() == 2
    assert Order.objects.filter(shop=shop).exclude(distribution=open_).exists()


def test_without_catalogues_the_demo_adds_nothing(db):
    shop = make_shop()
    demo.seed(shop)
    assert not Distribution.objects.exists()
