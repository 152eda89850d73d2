"""The pages: tenancy, and what the manager reads."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from escarcelle.sales.models import SaleOutbox, SaleStatus
from tests.escarcelle.sales.helpers import closed_distribution, validate
from tests.factories import make_sale


def test_the_unsent_sales_page_is_guarded(check_tenancy, shop):
    check_tenancy(reverse("escarcelle:sales:list", kwargs={"shop_slug": shop.slug}))


def test_the_renvoyer_action_is_guarded(check_tenancy, seeded_sim, shop, other_shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=1)
    validate(scene)
    sale = SaleOutbox.objects.get()
    url = reverse("escarcelle:sales:retry", kwargs={"shop_slug": shop.slug, "pk": sale.pk})
    check_tenancy(url, method="post")


def test_a_manager_cannot_resend_another_shops_sale(seeded_sim, shop, other_shop, manager_client):
    scene = closed_distribution(shop=other_shop, account=seeded_sim, orders=1)
    validate(scene)
    sale = SaleOutbox.objects.get()
    SaleOutbox.objects.update(status=SaleStatus.FAILED)
    url = reverse("escarcelle:sales:retry", kwargs={"shop_slug": shop.slug, "pk": sale.pk})
    assert manager_client.post(url).status_code == 404
    sale.refresh_from_db()
    assert sale.status == SaleStatus.FAILED


def test_the_unsent_sales_page_lists_pending_and_failed_sales_across_distributions(
    seeded_sim, shop, manager_client
):
    first = closed_distribution(shop=shop, account=seeded_sim, orders=2)
    validate(first)
    second = closed_distribution(shop=shop, account=seeded_sim, orders=1, products=first.products)
    validate(second)
    failed = SaleOutbox.objects.filter(distribution=second.distribution).get()
    failed.status = SaleStatus.FAILED
    failed.error_code = "product_archived"
    failed.error_product_id = first.products[0].escarcelle_id
    failed.save()
    response = manager_client.get(reverse("escarcelle:sales:list", kwargs={"shop_slug": shop.slug}))
    text = response.content.decode()
    assert "En échec (1)" in text and "En attente (2)" in text
    assert f"« {first.products[0].name} » est archivé" in text
    assert text.count(">Renvoyer</button>") == 1


def test_the_synchro_escarcelle_page_shows_the_sales_section_with_a_link(
    seeded_sim, shop, manager_client
):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=2)
    validate(scene)
    SaleOutbox.objects.filter(pk=SaleOutbox.objects.first().pk).update(status=SaleStatus.FAILED)
    response = manager_client.get(reverse("escarcelle:settings", kwargs={"shop_slug": shop.slug}))
    text = response.content.decode()
    assert "1 en attente" in text and "1 en échec" in text
    assert reverse("escarcelle:sales:list", kwargs={"shop_slug": shop.slug}) in text


def test_the_sales_section_runs_the_same_number_of_queries_for_any_number_of_sales(
    seeded_sim, shop, other_shop
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from escarcelle.sales.selectors import distribution_sales_state

    counts = []
    for target, orders in ((shop, 2), (other_shop, 9)):
        scene = closed_distribution(shop=target, account=seeded_sim, orders=orders)
        validate(scene)
        SaleOutbox.objects.filter(distribution=scene.distribution, order_id__gt=0).update(
            status=SaleStatus.FAILED, error_code="product_archived", note="x"
        )
        with CaptureQueriesContext(connection) as queries:
            state = distribution_sales_state(distribution=scene.distribution)
        assert len(state["failed"]) == orders
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_pending_sale_says_the_retry_is_automatic_and_when(shop, manager_client):
    moment = timezone.make_aware(datetime.datetime(2026, 12, 2, 10, 15))
    make_sale(
        shop=shop,
        attempts=3,
        error_code="timeout",
        last_error="Escarcelle ne répond pas pour le moment. Réessayez dans quelques minutes.",
        next_attempt_at=moment,
    )
    page = manager_client.get(
        reverse("escarcelle:sales:list", kwargs={"shop_slug": shop.slug})
    ).content.decode()
    assert "Escarcelle ne répond pas pour le moment. (3 tentatives)" in page
    assert "Nouvel essai automatique le " in page and "Réessayez" not in page


def test_a_pending_sale_keeps_what_escarcelle_said_when_it_is_not_a_retry_advice(
    shop, manager_client
):
    make_sale(shop=shop, attempts=1, error_code="conflict", last_error="Vente en double")
    page = manager_client.get(
        reverse("escarcelle:sales:list", kwargs={"shop_slug": shop.slug})
    ).content.decode()
    assert "Vente en double (1 tentative)" in page
