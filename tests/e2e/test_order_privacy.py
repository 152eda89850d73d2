"""A beneficiary who edits URLs by hand sees neither another beneficiary's nor another shop's
orders: every attempt answers a plain 404, never a server error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from distributions.models import OrderStatus
from tests.e2e.conftest import sign_in
from tests.factories import (
    PASSWORD,
    make_beneficiary,
    make_distribution,
    make_order,
    make_product,
    make_shop,
    make_user,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def assert_not_found(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 404, f"{url}: {response.status}"
    body = page.locator("body")
    expect(body).not_to_contain_text("Server Error")
    expect(body).not_to_contain_text("Traceback")


def post_status(page: Page, url: str) -> int:
    """POST from the signed-in page, with its CSRF token, as a tampered form would."""
    return page.evaluate(
        """async (url) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(url, {method: "POST", headers: {"X-CSRFToken": token}});
            return response.status;
        }""",
        url,
    )


def test_a_beneficiary_gets_404_for_another_beneficiarys_or_another_shops_order(page):
    shop = make_shop(name="Épicerie A", slug="a")
    other_shop = make_shop(name="Épicerie B", slug="b")
    alice = make_beneficiary(shop=shop, user=make_user(email="alice@a.example"))
    bob = make_beneficiary(shop=shop, user=make_user(email="bob@a.example"))
    carol = make_beneficiary(shop=other_shop, user=make_user(email="carol@b.example"))

    distribution = make_distribution(shop=shop)
    make_order(
        membership=alice.membership,
        distribution=distribution,
        lines={make_product(shop=shop, name="Farine d'Alice"): 1},
    )
    bob_order = make_order(
        membership=bob.membership,
        distribution=distribution,
        lines={make_product(shop=shop, name="Lentilles de Bob"): 2},
    )
    other_distribution = make_distribution(shop=other_shop)
    carol_order = make_order(
        membership=carol.membership,
        distribution=other_distribution,
        lines={make_product(shop=other_shop, name="Pois chiches de Carol"): 3},
    )

    sign_in(page, "alice@a.example", PASSWORD)
    page.wait_for_url("**/a/commander/")

    page.locator("header nav").get_by_role("link", name="Mes commandes").click()
    page.wait_for_url("**/a/mes-commandes/")
    main = page.locator("main")
    expect(main).to_contain_text("Farine d'Alice")
    expect(main).not_to_contain_text("Lentilles de Bob")
    expect(main).not_to_contain_text("Pois chiches de Carol")

    # Another beneficiary's order in her own shop.
    assert_not_found(page, f"/a/mes-commandes/{bob_order.pk}/annuler/")
    page.goto("/a/mes-commandes/")
    assert post_status(page, f"/a/mes-commandes/{bob_order.pk}/modifier/") == 404
    assert post_status(page, f"/a/mes-commandes/{bob_order.pk}/annuler/") == 404
    # Another shop's order, under her shop's address and under the other shop's.
    assert_not_found(page, f"/a/mes-commandes/{carol_order.pk}/annuler/")
    assert_not_found(page, f"/b/mes-commandes/{carol_order.pk}/annuler/")
    # Another shop's pages and distribution.
    assert_not_found(page, "/b/commander/")
    assert_not_found(page, f"/a/commander/{other_distribution.pk}/")
    assert_not_found(page, f"/b/commander/{other_distribution.pk}/")

    bob_order.refresh_from_db()
    carol_order.refresh_from_db()
    assert bob_order.status == carol_order.status == OrderStatus.CONFIRMED
