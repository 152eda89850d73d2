"""Importing products: the plan says what will happen, the confirmation does exactly that."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import csv_io
from catalog.forms import ProductForm
from catalog.models import Product
from catalog.services import product_csv_import_plan_create
from distributions.models import OrderLine
from epiclic.errors import Refusal
from escarcelle.imports.plans import (
    import_plan_apply,
    import_plan_build,
    import_plan_create,
)
from escarcelle.models import ImportPlan, ImportRun
from imports.models import PlanStatus
from imports.selectors import plan_rows
from imports.services import plan_opt_outs_set
from tests.factories import make_beneficiary, make_catalogue, make_distribution, make_order


def build(shop, user) -> ImportPlan:
    plan = import_plan_create(shop=shop, kind="products", user=user)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY, plan.error
    return plan


def snapshot(shop) -> list[tuple]:
    return list(
        Product.objects.filter(shop=shop)
        .order_by("id")
        .values_list(
            "id", "escarcelle_id", "name", "ref", "barcode", "price", "vat_rate", "unit",
            "unit_quantity", "active", "stock_source", "updated_at",
        )
    )  # fmt: skip


def by_status(plan: ImportPlan, status: str) -> list[dict]:
    return [row for row in plan_rows(plan) if row.status == status]


def test_a_first_import_creates_every_active_product_as_previewed(connected, shop, manager):
    connected.seed(products=12, beneficiaries=0)
    remote = connected.products()
    plan = build(shop, manager)
    assert Product.objects.filter(shop=shop).count() == 0, "the preview changes nothing"
    active = [p for p in remote if p["active"]]
    assert plan.counts["new"] == len(active)
    run = import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert run.counts["new"] == len(active)
    products = {p.escarcelle_id: p for p in Product.objects.filter(shop=shop)}
    assert set(products) == {p["id"] for p in active}
    for item in active:
        product = products[item["id"]]
        assert product.name == item["name"]
        assert product.price == Decimal(item["price"])
        assert product.vat_rate == Decimal(item["vat_rate"])
        assert product.unit_quantity == Decimal(item["unit_quantity"])
        assert product.stock_source == "escarcelle"
        assert product.catalogues.count() == 0
        assert product.created_at is not None


def test_a_second_import_of_unchanged_data_changes_nothing(connected, shop, manager):
    connected.seed(products=8, beneficiaries=0)
    import_plan_apply(shop=shop, plan_id=build(shop, manager).pk, user=manager)
    before = snapshot(shop)
    plan = build(shop, manager)
    assert {row.status for row in plan_rows(plan)} == {"unchanged"}
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert snapshot(shop) == before


def test_a_price_and_name_change_shows_exactly_that_difference(connected, shop, manager):
    connected.seed(products=5, beneficiaries=0)
    import_plan_apply(shop=shop, plan_id=build(shop, manager).pk, user=manager)
    target = connected.products()[1]
    connected.update_product(target["id"], price="9.87", name="Riz long 1 kg")
    plan = build(shop, manager)
    changed = by_status(plan, "changed")
    assert [row.key for row in changed] == [target["id"]]
    assert {(c.field, c.old, c.new) for c in changed[0].diff} == {
        ("name", target["name"], "Riz long 1 kg"),
        ("price", target["price"], "9.87"),
    }
    assert plan.counts["unchanged"] == len(plan_rows(plan)) - 1
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    product = Product.objects.get(shop=shop, escarcelle_id=target["id"])
    assert (product.name, product.price) == ("Riz long 1 kg", Decimal("9.87"))


def test_the_confirmation_applies_the_stored_plan_not_the_current_remote_list(
    connected, shop, manager
):
    connected.seed(products=4, beneficiaries=0)
    plan = build(shop, manager)
    first = connected.products()[0]
    connected.update_product(first["id"], price="55.55")
    connected.create_product(name="Arrivé après l'aperçu", unit="piece", unit_quantity="1",
                             price="1.00", vat_rate="5.5")  # fmt: skip
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert Product.objects.filter(shop=shop).count() == plan.counts["new"]
    assert Product.objects.get(shop=shop, escarcelle_id=first["id"]).price == Decimal(
        first["price"]
    )
    assert not Product.objects.filter(name="Arrivé après l'aperçu").exists()


def test_unbound_products_are_linked_by_barcode_then_ref(connected, shop, manager):
    connected.seed(products=6, beneficiaries=0)
    remote = [p for p in connected.products() if p["active"] and p["barcode"] and p["ref"]]
    by_barcode, by_ref = remote[0], remote[1]
    a = Product.objects.create(shop=shop, name="Local A", barcode=by_barcode["barcode"],
                               price=Decimal("1"))  # fmt: skip
    b = Product.objects.create(shop=shop, name="Local B", ref=by_ref["ref"], price=Decimal("1"))
    plan = build(shop, manager)
    links = {row.key: row.target_id for row in by_status(plan, "link")}
    assert links == {by_barcode["id"]: a.pk, by_ref["id"]: b.pk}
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.escarcelle_id, a.name, a.stock_source) == (
        by_barcode["id"], by_barcode["name"], "escarcelle"
    )  # fmt: skip
    assert b.escarcelle_id == by_ref["id"]
    assert Product.objects.filter(shop=shop).count() == plan.counts["new"] + 2


def test_products_archived_or_gone_in_escarcelle_are_deactivated_never_deleted(
    connected, shop, manager
):
    connected.seed(products=5, beneficiaries=0)
    import_plan_apply(shop=shop, plan_id=build(shop, manager).pk, user=manager)
    archived = [p for p in connected.products() if p["active"]][0]
    connected.archive_product(archived["id"])
    ghost = Product.objects.create(shop=shop, name="Disparu", price=Decimal("1"),
                                   escarcelle_id="prd_999999")  # fmt: skip
    count = Product.objects.filter(shop=shop).count()
    plan = build(shop, manager)
    assert {row.key for row in by_status(plan, "deactivate")} == {archived["id"], "prd_999999"}
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert Product.objects.filter(shop=shop).count() == count
    assert not Product.objects.get(shop=shop, escarcelle_id=archived["id"]).active
    ghost.refresh_from_db()
    assert not ghost.active


def test_opted_out_rows_are_not_applied(connected, shop, manager):
    connected.seed(products=6, beneficiaries=0)
    plan = build(shop, manager)
    skipped = plan_rows(plan)[0]
    plan_opt_outs_set(plan=plan, shown=[0, 1], excluded=[0])
    run = import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert not Product.objects.filter(shop=shop, escarcelle_id=skipped.key).exists()
    assert run.counts["new"] == plan.counts["new"] - 1


def test_an_applied_plan_cannot_be_confirmed_twice(connected, shop, manager):
    connected.seed(products=3, beneficiaries=0)
    plan = build(shop, manager)
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    with pytest.raises(Refusal, match="déjà été appliqué"):
        import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)


def test_a_stale_plan_is_refused_and_nothing_is_duplicated(connected, shop, manager):
    connected.seed(products=5, beneficiaries=0)
    first = build(shop, manager)
    second = build(shop, manager)
    import_plan_apply(shop=shop, plan_id=first.pk, user=manager)
    before = snapshot(shop)
    with pytest.raises(Refusal, match="Un autre import a été confirmé"):
        import_plan_apply(shop=shop, plan_id=second.pk, user=manager)
    assert snapshot(shop) == before


def test_an_expired_plan_is_refused(connected, shop, manager):
    connected.seed(products=2, beneficiaries=0)
    plan = build(shop, manager)
    ImportPlan.objects.filter(pk=plan.pk).update(expires_at=plan.created_at)
    with pytest.raises(Refusal, match="expiré"):
        import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    assert not Product.objects.filter(shop=shop).exists()


def test_a_fetch_failure_is_recorded_and_changes_nothing(connected, shop, manager):
    connected.seed(products=3, beneficiaries=0)
    connected.set_faults(outage_s=60)
    plan = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.FAILED
    assert "Escarcelle ne répond pas" in plan.error
    run = ImportRun.objects.get(shop=shop)
    assert run.result == "failed" and run.error == plan.error


def test_build_and_apply_run_a_constant_number_of_queries(
    connected, make_escarcelle_account, shop, other_shop, manager, settings
):
    connected.seed(products=5, beneficiaries=0)
    with CaptureQueriesContext(connection) as small_build:
        small = build(shop, manager)
    with CaptureQueriesContext(connection) as small_apply:
        import_plan_apply(shop=shop, plan_id=small.pk, user=manager)
    big = make_escarcelle_account()
    big.seed(products=300, beneficiaries=0)
    from escarcelle.connection import connection_save

    connection_save(shop=other_shop, user=None, api_key=big.api_key)
    with CaptureQueriesContext(connection) as big_build:
        plan = build(other_shop, manager)
    with CaptureQueriesContext(connection) as big_apply:
        import_plan_apply(shop=other_shop, plan_id=plan.pk, user=manager)
    assert Product.objects.filter(shop=other_shop).count() == plan.counts["new"] > 200
    assert len(big_build) == len(small_build)
    assert len(big_apply) == len(small_apply)


def test_a_price_change_leaves_the_orders_of_an_open_distribution_at_their_price(
    connected, shop, manager
):
    connected.seed(products=2, beneficiaries=0)
    import_plan_apply(shop=shop, plan_id=build(shop, manager).pk, user=manager)
    product = Product.objects.filter(shop=shop).order_by("id").first()
    old_price = product.price
    catalogue = make_catalogue(shop=shop, products=[product])
    distribution = make_distribution(shop=shop, state="open", catalogues=[catalogue])
    member = make_beneficiary(shop=shop).membership
    order = make_order(membership=member, distribution=distribution, lines={product: 2})
    before = list(OrderLine.objects.filter(order=order).values_list("shelf_price", "unit_price"))
    connected.update_product(product.escarcelle_id, price=str(old_price + Decimal("1.25")))
    plan = build(shop, manager)
    assert [row.key for row in by_status(plan, "changed")] == [product.escarcelle_id]
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    product.refresh_from_db()
    assert product.price == old_price + Decimal("1.25")
    after = list(OrderLine.objects.filter(order=order).values_list("shelf_price", "unit_price"))
    assert after == before and before[0][0] == old_price


def test_an_invalid_barcode_is_left_out_with_a_warning_and_the_product_stays_editable(
    connected, shop, manager, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    target = next(p for p in connected.products() if p["active"] and p["ref"])
    connected.update_product(target["id"], barcode="12345678901234")  # wrong check digit
    plan = build(shop, manager)
    row = next(r for r in plan_rows(plan) if r.key == target["id"])
    assert row.status == "new" and row.values["barcode"] == ""
    assert any("12345678901234" in w and "sans code-barres" in w for w in row.warnings)
    page = reverse(
        "escarcelle:import_products_plan", kwargs={"shop_slug": shop.slug, "plan_id": plan.pk}
    )
    assert "importé sans code-barres" in manager_client.get(page).content.decode()
    import_plan_apply(shop=shop, plan_id=plan.pk, user=manager)
    product = Product.objects.get(shop=shop, escarcelle_id=target["id"])
    assert product.barcode == ""

    # Its own edit form saves it untouched…
    before = snapshot(shop)
    form = ProductForm(instance=product, shop=shop)
    posted = {name: form[name].value() for name in form.fields if name != "new_photo"}
    posted = {name: value for name, value in posted.items() if value is not None}
    edit = reverse("catalog:product_edit", kwargs={"shop_slug": shop.slug, "pk": product.pk})
    response = manager_client.post(edit, posted)
    assert response.status_code == 302, response.context["form"].errors
    assert [r[:-1] for r in snapshot(shop)] == [r[:-1] for r in before]
    # …and its CSV export comes back unchanged.
    exported = "".join(csv_io.export_rows(Product.objects.filter(pk=product.pk))).encode()
    again = product_csv_import_plan_create(shop=shop, user=manager, filename="e.csv", data=exported)
    assert (again.counts["unchanged"], again.row_count) == (1, 1), plan_rows(again)
