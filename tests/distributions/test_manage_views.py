"""Manager pages: list, create/edit, the distribution page, adjustments, validation."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from distributions.models import Distribution, OrderStatus
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_order,
    make_product,
)


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"distributions:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_every_manager_page_is_guarded(check_tenancy, shop):
    distribution = make_distribution(shop=shop, state="closed")
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={make_product(shop=shop): 1},
    )
    line = order.lines.get()
    check_tenancy(url("list", shop))
    check_tenancy(url("create", shop))
    check_tenancy(url("detail", shop, pk=distribution.pk))
    check_tenancy(url("edit", shop, pk=distribution.pk))
    check_tenancy(url("validate", shop, pk=distribution.pk))
    check_tenancy(
        url("line_deliver", shop, pk=distribution.pk, line_pk=line.pk),
        method="post",
        data={"delivered_quantity": "1"},
    )


def test_another_shops_distribution_answers_404(manager_client, shop, other_shop):
    theirs = make_distribution(shop=other_shop)
    assert manager_client.get(url("detail", shop, pk=theirs.pk)).status_code == 404
    assert manager_client.post(url("validate", shop, pk=theirs.pk)).status_code == 404


def test_the_list_groups_distributions_by_state_with_order_counts(manager_client, shop):
    open_ = make_distribution(shop=shop, place="Gymnase")
    make_distribution(shop=shop, state="validated", place="Mairie")
    product = make_product(shop=shop)
    for status in ("confirmed", "confirmed", "cancelled"):
        make_order(
            membership=make_beneficiary(shop=shop).membership,
            distribution=open_,
            lines={product: 1},
            status=status,
        )
    html = manager_client.get(url("list", shop)).content.decode()
    assert "Commandes ouvertes" in html and "Validée" in html
    assert "Gymnase" in html and '<td class="num">2</td>' in html


def test_a_manager_creates_a_distribution_with_their_catalogues(manager_client, shop):
    catalogue = make_catalogue(shop=shop, name="Épicerie")
    now = timezone.now()
    response = manager_client.post(
        url("create", shop),
        {
            "starts_at": local(now + datetime.timedelta(days=4)),
            "place": "Local <b>asso</b>",
            "orders_open_at": local(now),
            "orders_close_at": local(now + datetime.timedelta(days=3)),
            "catalogues": [catalogue.pk],
        },
    )
    distribution = Distribution.objects.get()
    assert response.status_code == 302
    assert distribution.shop == shop and list(distribution.catalogues.all()) == [catalogue]
    html = manager_client.get(response["Location"]).content.decode()
    assert "Local &lt;b&gt;asso&lt;/b&gt;" in html


def test_closing_before_opening_is_refused_in_french(manager_client, shop):
    now = timezone.now()
    response = manager_client.post(
        url("create", shop),
        {
            "starts_at": local(now + datetime.timedelta(days=4)),
            "orders_open_at": local(now + datetime.timedelta(days=2)),
            "orders_close_at": local(now + datetime.timedelta(days=1)),
        },
    )
    assert response.status_code == 200
    assert "La fermeture des commandes doit être postérieure à leur ouverture." in (
        response.content.decode()
    )
    assert not Distribution.objects.exists()


def test_another_shops_catalogue_cannot_be_offered(manager_client, shop, other_shop):
    theirs = make_catalogue(shop=other_shop)
    now = timezone.now()
    response = manager_client.post(
        url("create", shop),
        {
            "starts_at": local(now + datetime.timedelta(days=4)),
            "orders_open_at": local(now),
            "orders_close_at": local(now + datetime.timedelta(days=3)),
            "catalogues": [theirs.pk],
        },
    )
    assert response.status_code == 200 and not Distribution.objects.exists()


def test_a_validated_distribution_cannot_be_edited(manager_client, shop):
    distribution = make_distribution(shop=shop, state="validated")
    response = manager_client.get(url("edit", shop, pk=distribution.pk))
    assert response.status_code == 302


def test_the_distribution_page_shows_orders_by_beneficiary_and_by_product(manager_client, shop):
    rice = make_product(shop=shop, name="Riz", price="2.99", stock="10")
    distribution = make_distribution(shop=shop, state="closed")
    alice = make_beneficiary(shop=shop, participation_rate="30").membership
    alice.user.first_name, alice.user.last_name = "Alice", "<Martin>"
    alice.user.save()
    make_order(membership=alice, distribution=distribution, lines={rice: 3})
    html = manager_client.get(url("detail", shop, pk=distribution.pk)).content.decode()
    assert "Alice &lt;Martin&gt;" in html
    assert "2,70\u00a0€" in html
    assert "Valider la distribution" in html and 'name="delivered_quantity"' in html


def test_a_product_marked_missing_leaves_the_amounts_of_the_page(manager_client, shop):
    rice = make_product(shop=shop, name="Riz", price="2.00", stock="10")
    pasta = make_product(shop=shop, name="Pâtes", price="1.00", stock="10")
    distribution = make_distribution(shop=shop, state="closed")
    member = make_beneficiary(shop=shop, participation_rate="100").membership
    order = make_order(membership=member, distribution=distribution, lines={rice: 3, pasta: 1})
    line = order.lines.get(product=rice)
    manager_client.post(
        url("line_deliver", shop, pk=distribution.pk, line_pk=line.pk), {"missing": "1"}
    )
    response = manager_client.get(url("detail", shop, pk=distribution.pk))
    (row,) = response.context["by_beneficiary"]
    assert row.total == Decimal("1.00")
    assert {p.product.name: p.total for p in response.context["by_product"]} == {
        "Riz": Decimal("0.00"),
        "Pâtes": Decimal("1.00"),
    }


def test_a_catalogue_outside_its_period_is_flagged_on_the_distribution_page(manager_client, shop):
    today = timezone.localdate()
    past = make_catalogue(shop=shop, name="Ancien", ends_on=today - datetime.timedelta(days=1))
    current = make_catalogue(shop=shop, name="Courant")
    distribution = make_distribution(shop=shop, catalogues=[past, current])
    html = manager_client.get(url("detail", shop, pk=distribution.pk)).content.decode()
    assert html.count("hors période") == 1
    assert html.index("Ancien") < html.index("hors période") < html.index("Courant")


def test_the_amounts_of_a_closed_distribution_reload_after_an_adjustment(manager_client, shop):
    distribution = make_distribution(shop=shop, state="closed")
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={make_product(shop=shop): 1},
    )
    html = manager_client.get(url("detail", shop, pk=distribution.pk)).content.decode()
    assert 'hx-trigger="deliveries-changed from:body"' in html
    assert f'hx-select-oob="#grand-total,#order-total-{order.pk}"' in html
    assert f'id="order-total-{order.pk}"' in html and 'id="grand-total"' in html


def test_an_open_distribution_says_when_deliveries_can_be_entered(manager_client, shop):
    distribution = make_distribution(shop=shop)
    html = manager_client.get(url("detail", shop, pk=distribution.pk)).content.decode()
    assert "se saisissent une fois les commandes fermées" in html


def _page_with_products(shop, count: int) -> Distribution:
    distribution = make_distribution(shop=shop, state="closed")
    products = [make_product(shop=shop) for _ in range(count)]
    for _ in range(3):
        make_order(
            membership=make_beneficiary(shop=shop).membership,
            distribution=distribution,
            lines=dict.fromkeys(products, 1),
        )
    return distribution


@pytest.mark.parametrize("count", [5, 50])
def test_the_distribution_page_runs_a_fixed_number_of_queries(
    manager_client, shop, count, django_assert_num_queries
):
    distribution = _page_with_products(shop, count)
    # One of them reads the history of opening and closing (one query however long), one the
    # count of the beneficiaries' e-mails (notifications: their rows only when there are some).
    # The header's "other shops" comes with the membership (was 11).
    with django_assert_num_queries(10):
        response = manager_client.get(url("detail", shop, pk=distribution.pk))
    assert response.status_code == 200


def test_an_htmx_adjustment_returns_the_line_row(manager_client, shop):
    distribution = make_distribution(shop=shop, state="closed")
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={make_product(shop=shop, name="Riz"): 3},
    )
    line = order.lines.get()
    response = manager_client.post(
        url("line_deliver", shop, pk=distribution.pk, line_pk=line.pk),
        {"missing": "1"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="line-{line.pk}"') and "<html" not in html
    assert "manquant" in html
    # The page's amounts reload themselves on this event (checked in a browser too).
    assert json.loads(response.headers["HX-Trigger"]) == {"deliveries-changed": {}}
    line.refresh_from_db()
    assert line.delivered_quantity == 0
    response = manager_client.post(
        url("line_deliver", shop, pk=distribution.pk, line_pk=line.pk),
        {"delivered_quantity": "2"},
        HTTP_HX_REQUEST="true",
    )
    assert "Enregistré." in response.content.decode()
    response = manager_client.post(
        url("line_deliver", shop, pk=distribution.pk, line_pk=line.pk),
        {"delivered_quantity": "deux"},
        HTTP_HX_REQUEST="true",
    )
    assert "Indiquez une quantité en chiffres" in response.content.decode()
    assert "HX-Trigger" not in response.headers


def test_a_line_of_another_distribution_answers_404(manager_client, shop):
    one = make_distribution(shop=shop, state="closed")
    two = make_distribution(shop=shop, state="closed")
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=two,
        lines={make_product(shop=shop): 1},
    )
    response = manager_client.post(
        url("line_deliver", shop, pk=one.pk, line_pk=order.lines.get().pk),
        {"missing": "1"},
    )
    assert response.status_code == 404


def test_validating_asks_for_confirmation_then_validates_on_post(manager_client, shop, manager):
    product = make_product(shop=shop, stock="5")
    distribution = make_distribution(shop=shop, state="closed")
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={product: 2},
    )
    page = manager_client.get(url("validate", shop, pk=distribution.pk)).content.decode()
    assert "définitive" in page
    distribution.refresh_from_db()
    assert distribution.validated_at is None
    response = manager_client.post(url("validate", shop, pk=distribution.pk), follow=True)
    assert "Distribution validée" in response.content.decode()
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and product.stock == Decimal("3")


def test_the_confirmation_page_names_the_distribution_by_its_french_date(manager_client, shop):
    closed = make_distribution(shop=shop, state="closed")
    starts = timezone.make_aware(datetime.datetime(2026, 12, 1, 14, 0))
    Distribution.objects.filter(pk=closed.pk).update(starts_at=starts)
    page = manager_client.get(url("validate", shop, pk=closed.pk)).content.decode()
    assert "Valider la distribution du mardi 1 décembre 2026, 14:00" in page


def test_validating_an_open_distribution_shows_a_french_refusal(manager_client, shop):
    distribution = make_distribution(shop=shop)
    response = manager_client.post(url("validate", shop, pk=distribution.pk), follow=True)
    assert "Une distribution se valide une fois les commandes fermées" in (
        response.content.decode()
    )
    distribution.refresh_from_db()
    assert distribution.validated_at is None
