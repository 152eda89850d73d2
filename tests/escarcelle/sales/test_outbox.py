"""The outbox written with the validation: content, left-out lines, rollback."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from distributions.models import Distribution, Order, OrderLine
from escarcelle.sales.models import SaleOutbox, SaleStatus
from tests.escarcelle.sales.helpers import (
    assert_exactly_once,
    closed_distribution,
    order_ref,
    validate,
)
from tests.factories import make_beneficiary, make_distribution, make_order, make_product, make_user


def test_validating_writes_one_pending_sale_per_delivered_order_with_the_contract_body(
    seeded_sim, shop
):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=3, lines=2)
    validate(scene)
    records = list(SaleOutbox.objects.order_by("order_id"))
    assert len(records) == 3
    first = records[0]
    order = first.order
    line = order.lines.order_by("id").first()
    assert first.status == SaleStatus.PENDING and first.version == 1
    assert first.idempotency_key == f"epiclic-{shop.pk}-{order.pk}-v1"
    assert first.payload["external_ref"] == order_ref(order)
    assert first.payload["beneficiary_id"] is None
    assert first.payload["lines"][0] == {
        "product_id": line.product.escarcelle_id,
        "quantity": "1.000",
        "unit_price": str(line.unit_price),
        "shelf_price": str(line.shelf_price),
    }


def test_an_installation_prefix_keeps_keys_apart_from_another_installation(
    seeded_sim, shop, settings
):
    settings.ESCARCELLE_INSTANCE_PREFIX = "epiclic-staging"
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=1)
    validate(scene)
    record = SaleOutbox.objects.get()
    assert record.idempotency_key == f"epiclic-staging-{shop.pk}-{record.order_id}-v1"
    assert record.payload["external_ref"] == f"epiclic-staging-{shop.pk}-{record.order_id}"


def test_the_beneficiarys_escarcelle_id_goes_with_the_sale(seeded_sim, shop):
    ben = seeded_sim.beneficiaries()[0]["id"]
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=1, beneficiary_ids=[ben])
    validate(scene)
    assert SaleOutbox.objects.get().payload["beneficiary_id"] == ben


def test_a_line_delivered_zero_is_left_out_and_stock_does_not_move_for_it(seeded_sim, shop):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=2, lines=3)
    missing = OrderLine.objects.filter(order__distribution=scene.distribution).first()
    missing.delivered_quantity = Decimal("0")
    missing.save()
    before = seeded_sim.stock()
    validate(scene)
    record = SaleOutbox.objects.get(order=missing.order)
    assert missing.product.escarcelle_id not in [x["product_id"] for x in record.payload["lines"]]
    assert len(record.payload["lines"]) == 2
    from escarcelle.sales.services import sales_deliver

    sales_deliver(distribution=scene.distribution)
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_unbound_products_are_left_out_with_a_visible_note(seeded_sim, shop, manager_client):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=1, lines=2)
    handmade = make_product(shop=shop, name="Confiture maison")
    order = Order.objects.get()
    OrderLine.objects.create(
        order=order,
        product=handmade,
        quantity=Decimal("2"),
        shelf_price=handmade.price,
        participation_rate=Decimal("100"),
        unit_price=handmade.price,
    )
    only_handmade = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=scene.distribution,
        lines={handmade: 1},
    )
    validate(scene)
    record = SaleOutbox.objects.get()
    assert record.order == order
    assert [s["name"] for s in record.skipped_lines] == ["Confiture maison"]
    assert len(record.payload["lines"]) == 2
    assert not SaleOutbox.objects.filter(order=only_handmade).exists()
    page = manager_client.get(f"/{shop.slug}/distributions/{scene.distribution.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("« Confiture maison »") == 2
    assert f"Commande n°{only_handmade.pk}" in text


def test_a_validation_that_rolls_back_leaves_no_outbox_and_sends_nothing(
    seeded_sim, shop, django_capture_on_commit_callbacks
):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=2)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            validate(scene)
            assert SaleOutbox.objects.count() == 2
            raise RuntimeError("something after the hook failed")
    assert callbacks == []
    assert SaleOutbox.objects.count() == 0
    assert seeded_sim.sales() == []


def test_validation_delivers_the_sales_after_the_commit(
    seeded_sim, shop, django_capture_on_commit_callbacks
):
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=4, lines=3)
    before = seeded_sim.stock()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        validate(scene)
    assert len(callbacks) == 1
    assert SaleOutbox.objects.filter(status=SaleStatus.SENT).count() == 4
    assert_exactly_once(seeded_sim, scene.distribution, before)


def test_a_shop_not_connected_to_escarcelle_records_nothing(shop):
    product = make_product(shop=shop, escarcelle_id="prd_1")
    distribution = make_distribution(shop=shop, state="closed")
    make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={product: 1},
    )
    from distributions.services import distribution_validate

    distribution_validate(distribution=distribution, user=make_user())
    assert SaleOutbox.objects.count() == 0


def test_the_sale_date_is_the_distributions_time_in_the_shops_zone(seeded_sim, shop):
    shop.timezone = "Indian/Reunion"
    shop.save()
    scene = closed_distribution(shop=shop, account=seeded_sim, orders=1)
    # 21:30 UTC on 10 March: 22:30 in Paris (the worker's zone), 01:30 on the 11th in Réunion.
    Distribution.objects.filter(pk=scene.distribution.pk).update(
        starts_at=datetime.datetime(2031, 3, 10, 21, 30, tzinfo=datetime.UTC)
    )
    scene.distribution.refresh_from_db()
    validate(scene)
    assert SaleOutbox.objects.get().payload["date"] == "2031-03-11T01:30:00+04:00"
