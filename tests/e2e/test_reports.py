"""After validation: the bag sheets PDF and the monthly report, in the browser."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import formats, timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from distributions.models import OrderLine
from distributions.pricing import line_total
from tests.e2e.conftest import sign_in
from tests.factories import (
    PASSWORD,
    make_beneficiary,
    make_distribution,
    make_membership,
    make_order,
    make_product,
    make_shop,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_prints_the_bags_then_reads_the_aid_given_this_month(page):
    shop = make_shop(name="Épicerie du Port", slug="port")
    make_membership(shop=shop, user=make_user(email="gestion@port.example"))
    rice = make_product(shop=shop, name="Riz", price="2.49", category="Épicerie")
    apples = make_product(shop=shop, name="Pommes", price="3.10", unit="kg", category="Fruits")
    zoe = make_beneficiary(
        shop=shop, user=make_user(first_name="Zoé", last_name="Martin"), participation_rate="30"
    )
    leo = make_beneficiary(
        shop=shop, user=make_user(first_name="Léo", last_name="Petit"), participation_rate="10"
    )
    # Orders closed an hour ago; the distribution is now, so it falls in this month.
    distribution = make_distribution(shop=shop, state="closed", starts_at=timezone.now())
    make_order(membership=zoe.membership, distribution=distribution, lines={rice: 3, apples: 2})
    leo_order = make_order(membership=leo.membership, distribution=distribution, lines={rice: 1})
    OrderLine.objects.filter(order__membership=zoe.membership, product=apples).update(
        delivered_quantity=Decimal("1.5")
    )

    sign_in(page, "gestion@port.example", PASSWORD)
    page.goto(f"/port/distributions/{distribution.pk}/valider/")
    page.get_by_role("button", name="Valider la distribution").click()
    expect(page.get_by_text("les commandes sont livrées").first).to_be_visible()

    pdf_link = page.get_by_role("link", name="PDF").first
    response = page.context.request.get(pdf_link.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "Zoé Martin" in text and "Léo Petit" in text
    assert "1,5 kg" in text and "commandé 2" in text  # delivered, with what was ordered
    assert leo_order.lines.get().quantity == 1 and "Riz" in text

    page.locator("header nav").get_by_role("link", name="Rapports", exact=True).click()
    # Each line as the bag sheet shows it: shelf value and amount asked, rounded to the cent.
    expected = sum(
        (
            line_total(line.shelf_price, line.delivered_quantity)
            - line_total(line.unit_price, line.delivered_quantity)
            for line in OrderLine.objects.filter(order__distribution=distribution)
        ),
        Decimal("0"),
    )
    assert expected == Decimal("10.71")  # 14,61 € on the shelves − 3,90 € paid
    with timezone.override(shop.tzinfo):
        shown = formats.number_format(expected, 2, use_l10n=True)
    expect(page.locator("#aid-total")).to_have_text(f"{shown} €")
