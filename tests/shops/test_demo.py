from __future__ import annotations

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from catalog.models import Product
from distributions.models import Distribution
from shops.demo import DEMO_SLUG
from shops.models import Membership, Shop


def test_demo_seed_seeds_every_app_once_and_prints_the_logins(db):
    out = StringIO()
    call_command("demo_seed", stdout=out)
    shop = Shop.objects.get(slug=DEMO_SLUG)
    assert Membership.objects.filter(shop=shop).count() == 3
    assert Product.objects.filter(shop=shop).exists()
    assert Distribution.objects.filter(shop=shop).count() == 2
    assert "gestionnaire@demo.epiclic.fr" in out.getvalue()
    assert "operateur@demo.epiclic.fr" in out.getvalue()
    operator = User.objects.get(username="operateur@demo.epiclic.fr")
    assert operator.is_staff and not operator.memberships.exists()

    call_command("demo_seed", stdout=StringIO())
    assert Shop.objects.count() == 1
    assert Distribution.objects.count() == 2
