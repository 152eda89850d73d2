"""In a browser: a beneficiary picks a pick-up slot (a full one cannot be picked), confirms,
then opens *Mon compte* from the header."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from distributions.models import Order
from tests.e2e.conftest import sign_in
from tests.factories import (
    PASSWORD,
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_order,
    make_product,
    make_shop,
    make_slot,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_beneficiary_orders_in_a_free_slot_then_opens_mon_compte(page: Page):
    shop = make_shop(name="Épicerie du Quai", slug="quai")
    rice = make_product(shop=shop, name="Riz", price="2.00", stock="20")
    starts = timezone.localtime(timezone.now() + datetime.timedelta(days=3)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )
    distribution = make_distribution(
        shop=shop, starts_at=starts, catalogues=[make_catalogue(shop=shop, products=[rice])]
    )
    full = make_slot(distribution=distribution, capacity=1)
    free = make_slot(distribution=distribution, start=datetime.timedelta(minutes=30), capacity=4)
    other = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    Order.objects.filter(pk=other.pk).update(slot=full)
    make_beneficiary(shop=shop, user=make_user(email="lea@quai.example"), monthly_budget="40")

    sign_in(page, "lea@quai.example", PASSWORD)
    page.goto(f"/quai/commander/{distribution.pk}/")
    page.get_by_label("Quantité de Riz", exact=True).fill("2")
    page.locator("tbody tr", has_text="Riz").get_by_role("button", name="Ajouter").click()
    expect(page.locator("#cart")).to_contain_text("2 ×")
    expect(page.locator(f"input[name=slot][value='{full.pk}']")).to_be_disabled()
    expect(page.locator("#cart")).to_contain_text("4 places restantes")
    page.get_by_label("17:30 – 18:00").check()
    # Changing a quantity swaps the cart: the slot ticked stays ticked.
    page.get_by_label("Quantité de Riz", exact=True).fill("3")
    page.locator("tbody tr", has_text="Riz").get_by_role("button", name="Modifier").click()
    expect(page.locator("#cart")).to_contain_text("3 ×")
    expect(page.get_by_label("17:30 – 18:00")).to_be_checked()
    page.get_by_role("button", name="Confirmer ma commande").click()
    page.wait_for_url("**/quai/mes-commandes/")
    expect(page.get_by_text("créneau 17:30 – 18:00")).to_be_visible()
    assert Order.objects.get(membership__user__email="lea@quai.example").slot == free

    page.get_by_role("link", name="Mon compte").click()
    expect(page.get_by_role("heading", name="Mon compte", level=1)).to_be_visible()
    expect(page.get_by_text("Budget restant ce mois-ci")).to_be_visible()
