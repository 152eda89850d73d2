"""Hostile answers from "Escarcelle" (a tiny loopback server): warnings or a clear error,
never a partial import, never a crash."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from catalog.models import Product
from escarcelle.client import EscarcelleClient, EscarcelleError
from escarcelle.connection import connection_save
from escarcelle.imports.plans import import_plan_apply, import_plan_build, import_plan_create
from escarcelle.models import ImportPlan
from imports.models import PlanStatus
from imports.selectors import plan_rows
from shops.models import BeneficiaryProfile

Answer = tuple[int, dict[str, str], bytes]


class Hostile:
    def __init__(self) -> None:
        self.routes: dict[str, Callable[[dict[str, list[str]]], Answer]] = {}
        self.hits: list[str] = []
        self.base_url = ""

    def json(self, path: str, body: Any, status: int = 200) -> None:
        raw = json.dumps(body).encode()
        self.routes[path] = lambda q: (status, {"Content-Type": "application/json"}, raw)

    def products(self, items: list[dict]) -> None:
        self.json("/api/v1/products", {"data": items, "next_cursor": None})


def product(n: int, **fields: Any) -> dict:
    return {
        "id": f"prd_{n}", "ref": f"R-{n}", "barcode": None, "name": f"Produit {n}",
        "description": "", "category": "Épicerie", "unit": "piece", "unit_quantity": "1.000",
        "price": "1.50", "vat_rate": "5.5", "active": True,
        "updated_at": "2026-11-27T10:15:00+00:00", **fields,
    }  # fmt: skip


@pytest.fixture
def hostile(settings) -> Iterator[Hostile]:
    state = Hostile()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            state.hits.append(url.path)
            route = state.routes.get(url.path)
            if route is None:
                status, headers, body = 404, {}, b"{}"
            else:
                status, headers, body = route(parse_qs(url.query))
            self.send_response(status)
            no_length = headers.pop("X-No-Length", None)
            for name, value in headers.items():
                self.send_header(name, value)
            if not no_length and "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    state.json("/api/v1/account", {"id": "acc_1", "name": "Épicerie hostile"})
    settings.ESCARCELLE_BASE_URL = state.base_url
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def hostile_shop(hostile, shop, manager):
    connection_save(shop=shop, user=manager, api_key="hostile-key-1234")
    return shop


def build(shop, user) -> ImportPlan:
    plan = import_plan_create(shop=shop, kind="products", user=user)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    return plan


def test_malformed_json_fails_the_preview_with_a_clear_message(hostile, hostile_shop, manager):
    hostile.routes["/api/v1/products"] = lambda q: (200, {}, b'{"data": [{"id": "prd_1", ')
    plan = build(hostile_shop, manager)
    assert plan.status == PlanStatus.FAILED
    assert "illisible" in plan.error
    assert not Product.objects.exists()


def test_a_missing_field_fails_the_whole_preview(hostile, hostile_shop, manager):
    broken = product(2)
    del broken["id"]
    hostile.products([product(1), broken])
    plan = build(hostile_shop, manager)
    assert plan.status == PlanStatus.FAILED
    assert "inattendue" in plan.error
    assert not Product.objects.exists()


def test_a_price_sent_as_a_json_number_is_refused(hostile, hostile_shop, manager):
    hostile.products([product(1, price=1.5)])
    assert build(hostile_shop, manager).status == PlanStatus.FAILED


def test_bad_rows_become_errors_and_warnings_and_the_rest_imports(hostile, hostile_shop, manager):
    long_name = "Pâtes " + "x" * 1994
    hostile.products(
        [
            product(1, price="-1.00"),
            product(2, price=None),
            product(3, unit="boisseau"),
            product(4, vat_rate="7"),
            product(5, name="<script>alert('x')</script> Riz"),
            product(6, name=long_name),
            product(7, barcode="3760123456784"),
            product(8, barcode="3760123456784"),
            product(9, name="Nul\x00caractère", ref="R-9"),
            product(10, ref="R-9"),
        ]
    )
    plan = build(hostile_shop, manager)
    assert plan.status == PlanStatus.READY
    rows = {row.key: row for row in plan_rows(plan)}
    assert [rows[f"prd_{n}"].status for n in (1, 2, 3, 4)] == ["error"] * 4
    assert "prix négatif" in rows["prd_1"].errors
    assert "prix manquant" in rows["prd_2"].errors
    assert any("HTML" in w for w in rows["prd_5"].warnings)
    assert any("coupé à 255" in w for w in rows["prd_6"].warnings)
    assert any("double" in w for w in rows["prd_7"].warnings)
    assert any("déjà utilisée" in w for w in rows["prd_10"].warnings)
    import_plan_apply(shop=hostile_shop, plan_id=plan.pk, user=manager)
    stored = {p.escarcelle_id: p for p in Product.objects.filter(shop=hostile_shop)}
    assert set(stored) == {f"prd_{n}" for n in range(5, 11)}
    assert stored["prd_5"].name == "<script>alert('x')</script> Riz"
    assert stored["prd_6"].name == long_name[:255]
    assert stored["prd_9"].name == "Nulcaractère"
    assert (stored["prd_9"].ref, stored["prd_10"].ref) == ("R-9", "")
    assert stored["prd_7"].price == Decimal("1.50")


def test_html_in_a_name_is_escaped_in_the_preview(hostile, hostile_shop, manager, manager_client):
    from django.urls import reverse

    hostile.products([product(1, name="<b onmouseover=alert(1)>Gras</b>")])
    plan = build(hostile_shop, manager)
    url = reverse(
        "escarcelle:import_products_plan",
        kwargs={"shop_slug": hostile_shop.slug, "plan_id": plan.pk},
    )
    page = manager_client.get(url).content.decode()
    assert "<b onmouseover" not in page
    assert "&lt;b onmouseover=alert(1)&gt;Gras&lt;/b&gt;" in page


def test_a_50_mb_response_is_refused_without_reading_it_all(hostile, hostile_shop, manager):
    chunk = b" " * (50 * 1024 * 1024)
    hostile.routes["/api/v1/products"] = lambda q: (200, {}, chunk)
    plan = build(hostile_shop, manager)
    assert plan.status == PlanStatus.FAILED
    assert "trop volumineuse" in plan.error


def test_a_large_response_without_content_length_is_cut_while_streaming(hostile):
    big = b"[" + b"1," * (3 * 1024 * 1024) + b"1]"
    hostile.routes["/api/v1/account"] = lambda q: (200, {"X-No-Length": "1"}, big)
    client = EscarcelleClient("k", base_url=hostile.base_url, max_response_bytes=1024 * 1024)
    with client, pytest.raises(EscarcelleError) as caught:
        client.account()
    assert caught.value.code == "too_large" and caught.value.permanent


def test_a_cursor_loop_is_stopped(hostile):
    page = {"data": [product(1)], "next_cursor": "again"}
    hostile.json("/api/v1/products", page)
    with EscarcelleClient("k", base_url=hostile.base_url) as client:
        with pytest.raises(EscarcelleError) as caught:
            list(client.iter_products())
    assert caught.value.code == "cursor_loop"
    assert hostile.hits.count("/api/v1/products") == 2


def test_the_page_count_is_bounded(hostile):
    counter = iter(range(10_000))
    hostile.routes["/api/v1/products"] = lambda q: (
        200,
        {},
        json.dumps({"data": [], "next_cursor": f"c{next(counter)}"}).encode(),
    )
    with EscarcelleClient("k", base_url=hostile.base_url, max_pages=5) as client:
        with pytest.raises(EscarcelleError) as caught:
            list(client.iter_products())
    assert caught.value.code == "too_many_pages"


def test_a_redirect_is_not_followed(hostile):
    hostile.routes["/api/v1/account"] = lambda q: (302, {"Location": "http://10.0.0.1/"}, b"")
    with EscarcelleClient("k", base_url=hostile.base_url) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.permanent and caught.value.status == 302


def test_an_id_twice_in_the_list_is_left_out_and_said_on_the_preview(
    hostile, hostile_shop, manager, manager_client
):
    from django.urls import reverse

    hostile.products([product(1), product(1, name="Autre nom"), product(2)])
    plan = build(hostile_shop, manager)
    assert plan.status == PlanStatus.READY
    assert [row.key for row in plan_rows(plan)] == ["prd_2"]
    url = reverse(
        "escarcelle:import_products_plan",
        kwargs={"shop_slug": hostile_shop.slug, "plan_id": plan.pk},
    )
    page = manager_client.get(url).content.decode()
    assert 'data-count="duplicate_skipped">2<' in page
    assert "identifiant en double dans la liste Escarcelle" in page
    import_plan_apply(shop=hostile_shop, plan_id=plan.pk, user=manager)
    assert list(
        Product.objects.filter(shop=hostile_shop).values_list("escarcelle_id", flat=True)
    ) == ["prd_2"]


def test_a_refusal_that_echoes_the_key_does_not_put_it_in_the_error(hostile):
    key = "esk_echoed-secret-0123456789"
    problem = {
        "title": "Bad Request",
        "status": 400,
        "code": "bad_request",
        "detail": f"Authorization: Bearer {key} is malformed",
    }
    hostile.json("/api/v1/account", problem, status=400)
    with EscarcelleClient(key, base_url=hostile.base_url) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.permanent and caught.value.status == 400
    assert "is malformed" in str(caught.value)
    assert key not in str(caught.value) and key not in caught.value.message


def beneficiary(n: int, **fields: Any) -> dict:
    return {
        "id": f"ben_{n}", "first_name": f"Prénom{n}", "last_name": "Nom",
        "email": f"personne{n}@example.org", "phone": None, "card_number": f"C-{n}",
        "household_size": 2, "participation_rate": "30.00", "monthly_budget": "50.00",
        "access_valid_until": None, "active": True, "updated_at": "2026-11-27T10:15:00+00:00",
        **fields,
    }  # fmt: skip


def test_bad_beneficiary_rows_become_errors_and_warnings_and_the_rest_imports(
    hostile, hostile_shop, manager
):
    from shops.models import BeneficiaryProfile

    hostile.json(
        "/api/v1/beneficiaries",
        {
            "data": [
                beneficiary(1, participation_rate="-5"),
                beneficiary(2, participation_rate=None),
                beneficiary(3, monthly_budget="-1"),
                beneficiary(4, email="pas une adresse"),
                beneficiary(5, household_size=0, card_number="9" * 80),
                beneficiary(6, first_name="<script>x</script>", email="double@example.org"),
                beneficiary(7, email="DOUBLE@example.org"),
            ],
            "next_cursor": None,
        },
    )
    plan = import_plan_create(shop=hostile_shop, kind="beneficiaries", user=manager)
    import_plan_build(plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.READY, plan.error
    rows = {row.key: row for row in plan_rows(plan)}
    assert [rows[f"ben_{n}"].status for n in (1, 2, 3, 6, 7)] == ["error"] * 5
    assert any("e-mail invalide" in w for w in rows["ben_4"].warnings)
    assert rows["ben_5"].values["household_size"] == 1
    assert rows["ben_5"].values["card_number"] == "9" * 64
    assert any("double" in e for e in rows["ben_7"].errors)
    import_plan_apply(shop=hostile_shop, plan_id=plan.pk, user=manager)
    imported = set(
        BeneficiaryProfile.objects.filter(shop=hostile_shop).values_list("escarcelle_id", flat=True)
    )
    assert imported == {"ben_4", "ben_5"}


# --- Every parser is total: arbitrary JSON from "Escarcelle", through the manager's pages. ---

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
TOTAL = hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _import_through_the_pages(client, shop, kind: str) -> ImportPlan:
    start = reverse(f"escarcelle:import_{kind}", kwargs={"shop_slug": shop.slug})
    assert client.post(start).status_code in (200, 302)
    plan = ImportPlan.objects.filter(shop=shop).latest("pk")
    page = reverse(
        f"escarcelle:import_{kind}_plan", kwargs={"shop_slug": shop.slug, "plan_id": plan.pk}
    )
    assert client.get(page).status_code == 200
    assert client.post(page, {"confirm": "1"}, follow=True).status_code == 200
    plan.refresh_from_db()
    return plan


@pytest.mark.django_db
@TOTAL
@given(body=JSON, kind=st.sampled_from(["products", "beneficiaries"]))
def test_any_json_answer_fails_the_import_with_a_french_message_and_writes_nothing(
    hostile, hostile_shop, manager_client, body, kind
):
    hostile.json(f"/api/v1/{kind}", body)
    plan = _import_through_the_pages(manager_client, hostile_shop, kind)
    if plan.status == PlanStatus.FAILED:
        assert plan.error
    assert not Product.objects.filter(shop=hostile_shop).exists()
    assert not BeneficiaryProfile.objects.filter(shop=hostile_shop).exists()


@pytest.mark.django_db
@TOTAL
@given(field=st.sampled_from(sorted(product(0))), value=JSON)
def test_a_product_with_any_value_in_any_field_never_crashes_the_pages(
    hostile, hostile_shop, manager_client, field, value
):
    hostile.products([product(1, **{field: value}), product(2)])
    plan = _import_through_the_pages(manager_client, hostile_shop, "products")
    assert plan.status in (PlanStatus.FAILED, PlanStatus.APPLIED) or plan.error == ""
    if plan.status == PlanStatus.FAILED:
        assert plan.error
