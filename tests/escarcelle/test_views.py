"""Paramètres → Synchro Escarcelle and the import pages, through Django's test client."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from escarcelle import crypto
from escarcelle.client import EscarcelleError
from escarcelle.connection import client_for_shop, connection_keys_rotate
from escarcelle.imports.plans import import_plan_build, import_plan_create
from escarcelle.models import Connection, ImportPlan, ImportRun
from imports.selectors import plan_rows
from shops.models import Role
from tests.factories import make_membership


def settings_url(shop) -> str:
    return reverse("escarcelle:settings", kwargs={"shop_slug": shop.slug})


def import_url(shop, kind: str = "products") -> str:
    return reverse(f"escarcelle:import_{kind}", kwargs={"shop_slug": shop.slug})


def plan_url(plan) -> str:
    return reverse(
        f"escarcelle:import_{plan.kind}_plan",
        kwargs={"shop_slug": plan.shop.slug, "plan_id": plan.pk},
    )


@pytest.fixture
def on_emulator(settings, escarcelle):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    return escarcelle


def test_the_settings_page_is_guarded(check_tenancy, shop):
    check_tenancy(settings_url(shop))


def test_the_import_start_pages_are_guarded(check_tenancy, shop):
    check_tenancy(import_url(shop, "products"))
    check_tenancy(import_url(shop, "beneficiaries"))


def test_the_plan_pages_are_guarded(check_tenancy, connected, shop, manager):
    for kind in ("products", "beneficiaries"):
        plan = import_plan_create(shop=shop, kind=kind, user=manager)
        check_tenancy(plan_url(plan))
        check_tenancy(plan_url(plan), method="post", data={"shown": "0"})


def test_a_good_key_is_saved_encrypted_and_shown_masked(on_emulator, shop, manager_client):
    key = on_emulator.api_key
    response = manager_client.post(settings_url(shop), {"action": "save", "api_key": key})
    assert response.status_code == 302
    page = manager_client.get(settings_url(shop)).content.decode()
    assert on_emulator.name in page and "connecté" in page
    assert "••••••••" + key[-4:] in page
    assert key not in page
    connection_row = Connection.objects.get(shop=shop)
    assert connection_row.account_id == on_emulator.account_id
    assert connection_row.api_key == key


def test_the_key_is_absent_in_clear_from_the_database(on_emulator, shop, manager_client):
    key = on_emulator.api_key
    manager_client.post(settings_url(shop), {"action": "save", "api_key": key})
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM escarcelle_connection")
        dump = repr(cursor.fetchall())
    assert dump and key not in dump and key[4:-4] not in dump


def test_a_wrong_key_saves_nothing_and_says_why(on_emulator, shop, manager_client):
    wrong = on_emulator.api_key[:-3] + "xyz"
    response = manager_client.post(settings_url(shop), {"action": "save", "api_key": wrong})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Clé Escarcelle refusée" in page
    assert wrong not in page
    assert not Connection.objects.exists()


def test_an_unreachable_escarcelle_saves_nothing_and_keeps_the_old_connection(
    connected, shop, manager_client
):
    before = Connection.objects.get(shop=shop)
    connected.set_faults(outage_s=60)
    new_key = connected.rotate_key()
    response = manager_client.post(settings_url(shop), {"action": "save", "api_key": new_key})
    assert "Escarcelle ne répond pas" in response.content.decode()
    after = Connection.objects.get(shop=shop)
    assert after.api_key_encrypted == before.api_key_encrypted
    assert after.key_last4 == before.key_last4


def test_a_stopped_escarcelle_saves_nothing(settings, shop, manager_client):
    settings.ESCARCELLE_BASE_URL = "http://127.0.0.1:9"
    response = manager_client.post(settings_url(shop), {"action": "save", "api_key": "abc123"})
    assert "Escarcelle ne répond pas" in response.content.decode()
    assert not Connection.objects.exists()


def test_a_new_key_replaces_the_old_one_and_clears_the_rejection(connected, shop, manager_client):
    Connection.objects.filter(shop=shop).update(key_rejected_at="2026-01-01T00:00:00Z")
    new_key = connected.rotate_key()
    manager_client.post(settings_url(shop), {"action": "save", "api_key": new_key})
    row = Connection.objects.get(shop=shop)
    assert row.api_key == new_key and row.key_rejected_at is None


def test_a_key_refused_later_marks_the_connection(connected, shop):
    connected.revoke_key()
    with client_for_shop(shop, max_retries=0) as client:
        with pytest.raises(Exception, match="Clé Escarcelle refusée"):
            client.account()
    assert Connection.objects.get(shop=shop).key_rejected_at is not None


def test_a_refused_key_is_no_longer_shown_as_connected(connected, shop, manager_client):
    connected.revoke_key()
    with client_for_shop(shop, max_retries=0) as client, pytest.raises(EscarcelleError):
        client.account()
    page = manager_client.get(settings_url(shop)).content.decode()
    assert '<span class="flag bad">clé refusée</span>' in page
    assert '<span class="flag ok">connecté</span>' not in page
    assert "Escarcelle a refusé cette clé" in page


def test_disconnecting_removes_the_connection(connected, shop, manager_client):
    manager_client.post(settings_url(shop), {"action": "disconnect"})
    assert not Connection.objects.filter(shop=shop).exists()


def test_the_import_page_asks_to_connect_first(shop, manager_client):
    page = manager_client.get(import_url(shop)).content.decode()
    assert "Paramètres → Synchro Escarcelle" in page
    response = manager_client.post(import_url(shop))
    assert not ImportPlan.objects.exists()
    assert response.status_code == 302


def test_a_product_import_through_the_pages(connected, shop, manager_client):
    connected.seed(products=130, beneficiaries=0)
    assert "Epiclic va chercher" in manager_client.get(import_url(shop)).content.decode()
    response = manager_client.post(import_url(shop))
    plan = ImportPlan.objects.get(shop=shop)
    assert response["Location"] == plan_url(plan)
    preview = manager_client.get(plan_url(plan)).content.decode()
    assert f'data-count="new">{plan.counts["new"]}<' in preview
    assert "Page 1 sur 2" in preview
    assert not Product.objects.filter(shop=shop).exists()
    # Untick the first row of page 2, move back to page 1, then confirm from there.
    second_page = [row.i for row in plan_rows(plan)[100:]]
    data = {"shown": second_page, "keep": second_page[1:], "goto": "1"}
    manager_client.post(plan_url(plan) + "?page=2", data)
    first_page = [row.i for row in plan_rows(plan)[:100]]
    response = manager_client.post(
        plan_url(plan), {"shown": first_page, "keep": first_page, "confirm": "1"}
    )
    assert response.status_code == 302
    assert Product.objects.filter(shop=shop).count() == plan.counts["new"] - 1
    assert not Product.objects.filter(escarcelle_id=plan_rows(plan)[100].key).exists()
    done = manager_client.get(plan_url(plan)).content.decode()
    assert "vérifiez bien vos produits avant de les ajouter dans un catalogue" in done.lower()
    assert "Pensez à leur attribuer une photo" in done
    history = manager_client.get(settings_url(shop)).content.decode()
    assert f"{plan.counts['new'] - 1} créés" in history


def test_the_progress_partial_polls_until_the_plan_is_ready(
    connected, shop, manager, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    plan = import_plan_create(shop=shop, kind="products", user=manager)
    polling = manager_client.get(plan_url(plan) + "?poll=1", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in polling.content.decode()
    assert "<html" not in polling.content.decode()
    without_js = manager_client.get(plan_url(plan)).content.decode()
    assert "Actualiser" in without_js
    import_plan_build(plan_id=plan.pk)
    ready = manager_client.get(plan_url(plan) + "?poll=1", headers={"HX-Request": "true"})
    assert ready["HX-Refresh"] == "true"


def test_a_build_lost_by_the_worker_stops_polling_and_says_so(
    connected, shop, manager, manager_client
):
    plan = import_plan_create(shop=shop, kind="products", user=manager)
    ImportPlan.objects.filter(pk=plan.pk).update(
        status="reading", created_at=plan.created_at - ImportPlan.BUILD_TIMEOUT
    )
    polling = manager_client.get(plan_url(plan) + "?poll=1", headers={"HX-Request": "true"})
    assert polling["HX-Refresh"] == "true"
    page = manager_client.get(plan_url(plan)).content.decode()
    assert "hx-trigger" not in page
    assert "le traitement en arrière-plan ne répond pas" in page
    assert "Confirmer l'import" not in page


def test_the_preview_shows_prices_quantities_and_rates_the_french_way(
    connected, shop, manager, manager_client
):
    connected.seed(products=2, beneficiaries=0)
    first = connected.products()[0]
    connected.update_product(first["id"], price="2.50", unit_quantity="0.500", vat_rate="5.5")
    plan = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    manager_client.post(plan_url(plan), {"confirm": "1"})
    connected.update_product(first["id"], price="9.87")
    plan = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=plan.pk)
    changed = manager_client.get(plan_url(plan) + "?statut=changed").content.decode()
    assert "<del>2,50</del> → <ins>9,87</ins>" in changed
    connected.seed(products=1, beneficiaries=0)
    connected.update_product(connected.products()[-1]["id"], price="3.20", unit_quantity="0.250")
    plan = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=plan.pk)
    new = manager_client.get(plan_url(plan) + "?statut=new").content.decode()
    assert "3,20\u00a0€ · 0,25 " in new
    assert "3.20" not in new


def test_a_second_confirmation_gets_a_clear_message(connected, shop, manager_client):
    connected.seed(products=4, beneficiaries=0)
    manager_client.post(import_url(shop))
    manager_client.post(import_url(shop))
    first, second = ImportPlan.objects.filter(shop=shop).order_by("id")
    manager_client.post(plan_url(first), {"confirm": "1"})
    response = manager_client.post(plan_url(second), {"confirm": "1"}, follow=True)
    assert "Un autre import a été confirmé" in response.content.decode()
    assert Product.objects.filter(shop=shop).count() == first.counts["new"]


def test_the_key_never_reaches_the_logs_across_connect_import_and_failure(
    on_emulator, shop, manager_client, caplog
):
    caplog.set_level(logging.DEBUG)
    key = on_emulator.api_key
    on_emulator.seed(products=5, beneficiaries=3)
    manager_client.post(settings_url(shop), {"action": "save", "api_key": key})
    manager_client.post(import_url(shop))
    plan = ImportPlan.objects.get(shop=shop)
    manager_client.post(plan_url(plan), {"confirm": "1"})
    manager_client.post(import_url(shop, "beneficiaries"))
    on_emulator.set_faults(outage_s=60)
    manager_client.post(import_url(shop))
    manager_client.post(settings_url(shop), {"action": "save", "api_key": key + "zz"})
    assert ImportRun.objects.filter(result="failed").exists()
    assert "escarcelle GET /products" in caplog.text
    assert key not in caplog.text


def test_rotating_the_secret_key_keeps_the_escarcelle_key_readable(connected, shop, settings):
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-test-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert Connection.objects.get(shop=shop).api_key == connected.api_key
    call_command("rotate_escarcelle_keys")
    settings.SECRET_KEY_FALLBACKS = []
    assert Connection.objects.get(shop=shop).api_key == connected.api_key


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_settings_page_runs_as_many_queries_with_a_long_history(
    connected, shop, manager, manager_client
):
    ImportRun.objects.create(shop=shop, kind="products", user=manager, result="success")
    few = _queries(manager_client, settings_url(shop))
    for n in range(25):
        user = make_membership(shop=shop, role=Role.MANAGER).user
        ImportRun.objects.create(
            shop=shop, kind="beneficiaries", user=user, result="failed", error=f"panne {n}"
        )
    assert _queries(manager_client, settings_url(shop)) == few


def test_the_preview_and_the_result_pages_run_as_many_queries_for_a_big_plan(
    connected, shop, manager, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    small = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=small.pk)
    small_preview = _queries(manager_client, plan_url(small))
    connected.seed(products=250, beneficiaries=0)
    big = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=big.pk)
    assert _queries(manager_client, plan_url(big) + "?page=2") == small_preview
    manager_client.post(plan_url(big), {"confirm": "1"})
    assert Product.objects.filter(shop=shop).count() == 253
    applied = _queries(manager_client, plan_url(big))
    assert applied <= small_preview + 4


@pytest.mark.django_db(transaction=True)
def test_keys_are_re_encrypted_outside_a_transaction_and_an_unreadable_one_is_counted(
    connected, shop, other_shop, settings
):
    Connection.objects.create(
        shop=other_shop, api_key_encrypted="not-a-token", key_last4="abcd", account_id="x"
    )
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "another-brand-new-secret-key-for-this-test-987654"
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert connection_keys_rotate() == (1, 1)
    settings.SECRET_KEY_FALLBACKS = []
    assert Connection.objects.get(shop=shop).api_key == connected.api_key


def test_after_the_secret_key_changed_without_fallback_the_page_says_the_key_is_unreadable(
    connected, shop, manager_client, settings
):
    # The key as it was stored under a secret key that the server no longer has.
    current = settings.SECRET_KEY
    settings.SECRET_KEY = "a-secret-key-that-nobody-kept-the-old-one-of-0123456789"
    stored = crypto.encrypt(connected.api_key)
    settings.SECRET_KEY = current
    Connection.objects.filter(shop=shop).update(api_key_encrypted=stored)
    page = manager_client.get(settings_url(shop)).content.decode()
    assert "clé illisible : enregistrez-la à nouveau" in page
    assert "connecté</span>" not in page


def test_the_preview_writes_units_in_french_with_their_plural(
    connected, shop, manager, manager_client
):
    connected.seed(products=3, beneficiaries=0)
    for product, quantity in zip(connected.products(), ["1", "2", "0.5"], strict=True):
        connected.update_product(product["id"], unit="piece", unit_quantity=quantity)
    plan = import_plan_create(shop=shop, kind="products", user=manager)
    import_plan_build(plan_id=plan.pk)
    new = manager_client.get(plan_url(plan) + "?statut=new").content.decode()
    assert "· 1 pièce ·" in new and "· 2 pièces ·" in new and "· 0,5 pièce ·" in new
    assert "piece" not in new.replace("pièce", "")


def test_the_recent_imports_show_the_month_in_lower_case(shop, manager, manager_client):
    moment = timezone.make_aware(datetime.datetime(2026, 12, 2, 9, 30))
    ImportRun.objects.create(
        shop=shop, kind="products", user=manager, started_at=moment, result="success"
    )
    for page in (import_url(shop, "products"), settings_url(shop)):
        html = manager_client.get(page).content.decode()
        assert "2 déc. 2026" in html and "Déc" not in html, page
