"""Sales Escarcelle refuses: the reason is kept, the others go through, nothing is doubled."""

from __future__ import annotations

import datetime

from django.utils import timezone

from distributions.models import Order
from escarcelle.sales.alerts import sales_alert_stuck
from escarcelle.sales.models import SaleOutbox, SaleStatus
from escarcelle.sales.services import sale_retry, sales_deliver
from tests.emails import sent_emails
from tests.escarcelle.sales.helpers import (
    assert_exactly_once,
    closed_distribution,
    order_ref,
    validate,
)
from tests.factories import bind_products, make_beneficiary, make_order


def _scene_with_one_lonely_product(seeded_sim, shop, *, orders=4):
    """``orders`` orders on two shared products, plus one order with a product of its own."""
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=orders, lines=2)
    lonely = bind_products(shop=shop, account=seeded_sim, count=1, offset=2)[0]
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=scene.distribution,
        lines={scene.products[0]: 1, lonely: 2},
    )
    return scene, order, lonely


def test_a_product_archived_in_escarcelle_fails_its_sale_only_with_the_reason(
    seeded_sim, shop, manager_client
):
    scene, order, archived = _scene_with_one_lonely_product(seeded_sim, shop)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.archive_product(archived.escarcelle_id)
    report = sales_deliver(distribution=scene.distribution)
    assert (report.sent, report.failed) == (4, 1)
    failed = SaleOutbox.objects.get(status=SaleStatus.FAILED)
    assert failed.order == order
    assert failed.error_code == "product_archived"
    assert failed.error_product_id == archived.escarcelle_id
    assert_exactly_once(seeded_sim, scene.distribution, before, skip={order_ref(order)})
    page = manager_client.get(f"/{shop.slug}/distributions/{scene.distribution.pk}/")
    text = page.content.decode()
    assert f"Le produit « {archived.name} » est archivé dans Escarcelle." in text
    assert "Réactivez-le dans Escarcelle puis cliquez sur Renvoyer." in text
    assert "4 envoyées" in text and "1 en échec" in text


def test_renvoyer_after_reactivating_the_product_sends_the_sale_with_the_same_key(
    seeded_sim, shop, manager_client, django_capture_on_commit_callbacks
):
    scene, order, archived = _scene_with_one_lonely_product(seeded_sim, shop, orders=2)
    validate(scene)
    before = seeded_sim.stock()
    seeded_sim.archive_product(archived.escarcelle_id)
    sales_deliver(distribution=scene.distribution)
    failed = SaleOutbox.objects.get(status=SaleStatus.FAILED)
    seeded_sim.update_product(archived.escarcelle_id, active=True)
    url = f"/{shop.slug}/parametres/escarcelle/ventes/{failed.pk}/renvoyer/"
    page = f"/{shop.slug}/distributions/{scene.distribution.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {"next": page})
    assert response.status_code == 302 and response["Location"] == page
    failed.refresh_from_db()
    assert failed.status == SaleStatus.SENT
    assert failed.idempotency_key.endswith("-v1")
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_renvoyer_after_rebinding_an_unknown_product_sends_a_new_version(seeded_sim, shop):
    scene, order, product = _scene_with_one_lonely_product(seeded_sim, shop, orders=1)
    product.escarcelle_id = "prd_999999"
    product.save()
    validate(scene)
    before = seeded_sim.stock()
    sales_deliver(distribution=scene.distribution)
    failed = SaleOutbox.objects.get(status=SaleStatus.FAILED)
    assert failed.error_code == "unknown_product"
    product.escarcelle_id = seeded_sim.products()[2]["id"]  # the import binds it again
    product.save()
    sale_retry(sale=failed)
    failed.refresh_from_db()
    assert failed.version == 2 and failed.idempotency_key.endswith("-v2")
    sales_deliver(distribution=scene.distribution)
    failed.refresh_from_db()
    assert failed.status == SaleStatus.SENT
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_a_beneficiary_unknown_to_escarcelle_is_dropped_and_the_sale_goes_with_a_note(
    seeded_sim, shop, manager_client
):
    known = seeded_sim.beneficiaries()[0]["id"]
    scene = closed_distribution(
        shop=shop, account=seeded_sim, orders=2, beneficiary_ids=[known, "ben_999999"]
    )
    validate(scene)
    before = seeded_sim.stock()
    sales_deliver(distribution=scene.distribution)
    assert SaleOutbox.objects.filter(status=SaleStatus.SENT).count() == 2
    dropped = SaleOutbox.objects.get(version=2)
    assert dropped.payload["beneficiary_id"] is None
    assert dropped.idempotency_key.endswith("-v2")
    assert "ben_999999" in dropped.note
    remote = {s["external_ref"]: s for s in seeded_sim.sales()}
    assert remote[dropped.payload["external_ref"]]["beneficiary_id"] is None
    kept = SaleOutbox.objects.get(version=1)
    assert remote[kept.payload["external_ref"]]["beneficiary_id"] == known
    assert_exactly_once(seeded_sim, scene.distribution, before)
    page = manager_client.get(f"/{shop.slug}/distributions/{scene.distribution.pk}/")
    assert "Envoyée sans bénéficiaire" in page.content.decode()


def test_the_contact_gets_one_email_when_sales_stay_stuck_for_an_hour(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=3)
    validate(scene)
    seeded_sim.set_faults(outage_s=24 * 3600)
    clock = timezone.now()
    assert sales_alert_stuck(now=clock) == 0
    for hour in range(1, 5):
        sales_deliver(distribution=scene.distribution, now=clock)
        sales_alert_stuck(now=clock + datetime.timedelta(hours=hour))
    seeded_sim.clear_faults()
    assert len(sent_emails()) == 1
    assert sent_emails()[0].to == [shop.contact_email]
    assert "3 en attente" in sent_emails()[0].body


def test_only_failed_sales_can_be_sent_again(seeded_sim, shop, manager_client):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=1)
    validate(scene)
    sale = SaleOutbox.objects.get()
    url = f"/{shop.slug}/parametres/escarcelle/ventes/{sale.pk}/renvoyer/"
    response = manager_client.post(url, follow=True)
    assert "pas en échec" in response.content.decode()
    assert Order.objects.count() == 1
