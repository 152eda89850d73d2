"""The Escarcelle import proposes to link a hand-made product of the same name and unit
("à relier à « … »"), the manager accepts or declines per row; and the result page says only
what applies."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from catalog.models import Product
from epiclic.collation import name_key
from escarcelle.imports.plans import import_plan_apply, import_plan_build, import_plan_create
from escarcelle.models import ImportPlan
from imports.models import PlanStatus
from imports.selectors import plan_rows
from tests.factories import make_product, make_shop

LOCAL = "Pois chiches Écolo"
REMOTE = "  pois  CHICHES ecolo "


def build(shop, user) -> ImportPlan:
    plan = import_plan_create(shop=shop, kind="products", user=user)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY, plan.error
    return plan


def plan_url(plan) -> str:
    return reverse(
        "escarcelle:import_products_plan",
        kwargs={"shop_slug": plan.shop.slug, "plan_id": plan.pk},
    )


def remote(connected, *, name: str = REMOTE, unit: str = "kg") -> dict:
    connected.seed(products=2, beneficiaries=0)
    return connected.create_product(
        name=name, unit=unit, unit_quantity="1", price="3.20", vat_rate="5.5"
    )


def row_of(plan, key):
    return next(row for row in plan_rows(plan) if row.key == key)


def test_the_preview_proposes_to_link_a_hand_made_product_of_the_same_name_and_unit(
    connected, shop, manager, manager_client
):
    local = make_product(shop=shop, name=LOCAL, unit="kg", ref="", price="2.50")
    item = remote(connected)
    plan = build(shop, manager)
    row = row_of(plan, item["id"])
    assert (row.status, row.target_id, row.proposed_link) == ("link", local.pk, LOCAL)
    assert row.change("price").new == "3.20"
    html = manager_client.get(plan_url(plan) + "?statut=link").content.decode()
    assert f"à relier à « {LOCAL} »" in html
    box = f'<input type="checkbox" name="link" value="{row.i}" checked>'
    assert box in html, "ticked by default, like every other row of the preview"
    assert Product.objects.filter(shop=shop).count() == 1, "the preview changes nothing"


def test_an_accepted_proposal_binds_the_existing_product_without_a_duplicate(
    connected, shop, manager, manager_client
):
    local = make_product(shop=shop, name=LOCAL, unit="kg", ref="", price="2.50")
    item = remote(connected)
    plan = build(shop, manager)
    i = row_of(plan, item["id"]).i
    manager_client.post(
        plan_url(plan), {"shown": [i], "keep": [i], "proposed": [i], "link": [i], "confirm": "1"}
    )
    local.refresh_from_db()
    # Bound, and updated as an import updates a bound product (Escarcelle's name and price).
    assert (local.escarcelle_id, local.stock_source, local.price, local.name) == (
        item["id"], "escarcelle", Decimal("3.20"), REMOTE.strip()
    )  # fmt: skip
    same = [p for p in Product.objects.filter(shop=shop) if "chiches" in p.name.lower()]
    assert same == [local]


def test_a_declined_proposal_creates_a_new_product_as_before(
    connected, shop, manager, manager_client
):
    local = make_product(shop=shop, name=LOCAL, unit="kg", ref="", price="2.50")
    item = remote(connected)
    plan = build(shop, manager)
    i = row_of(plan, item["id"]).i
    # Declined on its page (the choice is kept), then confirmed from the first page.
    manager_client.post(plan_url(plan), {"shown": [i], "keep": [i], "proposed": [i]})
    html = manager_client.get(plan_url(plan) + "?statut=link").content.decode()
    assert f'<input type="checkbox" name="link" value="{i}">' in html
    manager_client.post(plan_url(plan), {"confirm": "1"})
    local.refresh_from_db()
    assert (local.escarcelle_id, local.price) == (None, Decimal("2.50"))
    created = Product.objects.get(shop=shop, escarcelle_id=item["id"])
    assert created.pk != local.pk and created.price == Decimal("3.20")
    plan.refresh_from_db()
    assert plan.done.get("new", 0) >= 1 and plan.done.get("link", 0) == 0


def test_a_product_of_another_unit_is_not_proposed(connected, shop, manager):
    make_product(shop=shop, name=LOCAL, unit="piece", ref="")
    item = remote(connected, unit="kg")
    row = row_of(build(shop, manager), item["id"])
    assert (row.status, row.proposed_link) == ("new", "")


def test_two_hand_made_products_of_that_name_make_no_proposal_and_say_why(connected, shop, manager):
    make_product(shop=shop, name=LOCAL, unit="kg", ref="")
    make_product(shop=shop, name=LOCAL.upper(), unit="kg", ref="")
    item = remote(connected)
    row = row_of(build(shop, manager), item["id"])
    assert (row.status, row.proposed_link) == ("new", "")
    assert any("aucun n'est proposé à relier" in w for w in row.warnings)


def test_a_bound_or_archived_product_is_never_proposed(connected, shop, manager):
    make_product(shop=shop, name=LOCAL, unit="kg", ref="", escarcelle_id="ailleurs-1")
    make_product(shop=shop, name=LOCAL, unit="kg", ref="", active=False)
    item = remote(connected)
    assert row_of(build(shop, manager), item["id"]).status == "new"


def test_another_groceries_product_is_never_proposed(connected, shop, manager):
    other = make_shop()
    make_product(shop=other, name=LOCAL, unit="kg", ref="")
    item = remote(connected)
    row = row_of(build(shop, manager), item["id"])
    assert (row.status, row.target_id) == ("new", None)


def test_a_re_import_that_created_nothing_does_not_speak_of_catalogues_or_photos(
    connected, shop, manager, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    first = build(shop, manager)
    manager_client.post(plan_url(first), {"confirm": "1"})
    done = manager_client.get(plan_url(first)).content.decode()
    assert "ne sont dans aucun catalogue" in done and "Pensez à leur attribuer une photo" in done
    again = build(shop, manager)
    manager_client.post(plan_url(again), {"confirm": "1"})
    done = manager_client.get(plan_url(again)).content.decode()
    assert "import terminé" in done
    assert "Tout était déjà à jour" in done
    assert f"{again.counts['unchanged']} inchangés" in done
    assert "aucun catalogue" not in done
    assert "sans photo" not in done and "Pensez à leur attribuer une photo" not in done


def test_a_re_import_that_only_updated_says_so_without_the_catalogue_warning(
    connected, shop, manager, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    import_plan_apply(shop=shop, plan_id=build(shop, manager).pk, user=manager)
    first = connected.products()[0]
    connected.update_product(first["id"], price="9.87")
    plan = build(shop, manager)
    manager_client.post(plan_url(plan), {"confirm": "1"})
    done = manager_client.get(plan_url(plan)).content.decode()
    assert "0 créés, 1 mis à jour" in done
    assert "aucun catalogue" not in done and "sans photo" not in done


def test_one_rule_says_when_two_names_are_the_same():
    assert name_key("  Pommes  GOLDEN ") == name_key("pommes golden") == "pommes golden"
    assert name_key("Œufs frais") == name_key("oeufs FRAIS") and name_key("Pâtes") == "pates"
    assert name_key("Pommes Golden") != name_key("Pommes Gala")
