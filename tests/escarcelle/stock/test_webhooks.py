"""Stock movements pushed by Escarcelle: the signed endpoint, its refusals, and end to end."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from escarcelle import crypto
from escarcelle.models import Connection
from escarcelle.stock.models import StockLevel, StockSyncState, WebhookEndpoint
from escarcelle.stock.services import stock_sync_shop
from escarcelle.stock.webhooks import webhook_register
from tests.factories import connect, make_shop

SECRET = "whsec_test-secret"


def endpoint_for(shop, token="t0k3n-of-the-shop") -> WebhookEndpoint:  # noqa: ANN001
    return WebhookEndpoint.objects.create(
        shop=shop, token=token, remote_id="whk_1", secret_encrypted=crypto.encrypt(SECRET)
    )


def event(shop, product, *, sequence, quantity="1.000", kind="stock.changed", **extra):  # noqa: ANN001, ANN003, ANN201
    account_id = Connection.objects.get(shop=shop).account_id
    data = {
        "product_id": product.escarcelle_id,
        "quantity": quantity,
        "delta": "-1.000",
        "reason": "in_shop_sale",
    }
    return {
        "id": f"evt_{sequence}",
        "type": kind,
        "account_id": account_id,
        "sequence": sequence,
        "created_at": timezone.now().isoformat(),
        "data": data,
        **extra,
    }


def post(client, shop, endpoint, body, *, secret=SECRET, stamp=None, token=None):  # noqa: ANN001, ANN201
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time()) if stamp is None else stamp)
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
    url = reverse(
        "escarcelle:stocks_webhook",
        kwargs={"shop_slug": shop.slug, "token": token or endpoint.token},
    )
    return client.post(
        url,
        raw,
        content_type="application/json",
        HTTP_ESCARCELLE_WEBHOOK_TIMESTAMP=stamp,
        HTTP_ESCARCELLE_WEBHOOK_SIGNATURE=f"v1={signature}",
    )


@pytest.fixture
def pushed(connected_shop, sim):  # noqa: ANN001, ANN201
    """The shop synced once, with an endpoint; ``(shop, products, endpoint, level)``."""
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    level = StockLevel.objects.get(product=products[0])
    return shop, products, endpoint_for(shop), level


def test_a_signed_movement_newer_than_the_reading_is_applied(client, pushed):
    shop, products, endpoint, level = pushed
    answer = post(client, shop, endpoint, event(shop, products[0], sequence=10_000))
    assert answer.status_code == 200
    level.refresh_from_db()
    assert (level.quantity, level.sequence, level.read_sequence) == (1, 10_000, 10_000)
    endpoint.refresh_from_db()
    assert endpoint.events_applied == 1
    assert endpoint.last_event_sequence == 10_000
    assert endpoint.last_event_at is not None


def test_duplicates_replays_and_older_events_change_nothing(client, pushed):
    shop, products, endpoint, level = pushed
    post(client, shop, endpoint, event(shop, products[0], sequence=10_002, quantity="4.000"))
    post(client, shop, endpoint, event(shop, products[0], sequence=10_002, quantity="4.000"))
    post(client, shop, endpoint, event(shop, products[0], sequence=10_001, quantity="5.000"))
    level.refresh_from_db()
    assert (level.quantity, level.sequence) == (4, 10_002)
    endpoint.refresh_from_db()
    assert (endpoint.events_applied, endpoint.events_ignored) == (1, 2)


def test_an_event_older_than_the_last_sync_is_ignored(client, pushed):
    shop, products, endpoint, level = pushed
    before = (level.quantity, level.sequence)
    assert post(client, shop, endpoint, event(shop, products[0], sequence=1)).status_code == 200
    level.refresh_from_db()
    assert (level.quantity, level.sequence) == before


@pytest.mark.parametrize(
    ("tamper", "status", "reason"),
    [
        ({"secret": "whsec_wrong"}, 401, "bad_signature"),
        ({"offset": -360}, 400, "stale_timestamp"),
        ({"offset": 360}, 400, "stale_timestamp"),
    ],
    ids=["bad-signature", "stale", "from-the-future"],
)
def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_counted(
    client, pushed, tamper, status, reason
):
    shop, products, endpoint, level = pushed
    before = (level.quantity, level.sequence)
    if "offset" in tamper:
        tamper = {"stamp": int(time.time()) + tamper["offset"]}
    answer = post(client, shop, endpoint, event(shop, products[0], sequence=10_000), **tamper)
    assert answer.status_code == status
    level.refresh_from_db()
    assert (level.quantity, level.sequence) == before
    endpoint.refresh_from_db()
    assert (endpoint.events_rejected, endpoint.last_rejection) == (1, reason)


def test_an_unsigned_delivery_is_refused(client, pushed):
    shop, _products, endpoint, _level = pushed
    url = reverse(
        "escarcelle:stocks_webhook", kwargs={"shop_slug": shop.slug, "token": endpoint.token}
    )
    assert client.post(url, b"{}", content_type="application/json").status_code == 401


def test_another_shops_token_or_an_unknown_one_answers_404(client, pushed):
    shop, products, endpoint, level = pushed
    other = make_shop(name="Épicerie B", slug="epicerie-b")
    theirs = endpoint_for(other, token="their-token")
    body = event(shop, products[0], sequence=10_000)
    assert post(client, shop, endpoint, body, token=theirs.token).status_code == 404
    assert post(client, other, theirs, body, token=endpoint.token).status_code == 404
    assert post(client, shop, endpoint, body, token="guessed").status_code == 404
    level.refresh_from_db()
    assert level.sequence != 10_000


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"id": "evt_1"}', "\u00e9".encode("latin-1")],
    ids=["broken", "list", "incomplete", "not-utf8"],
)
def test_a_malformed_body_is_refused_never_a_500(client, pushed, body):
    shop, _products, endpoint, _level = pushed
    assert post(client, shop, endpoint, body).status_code == 400


def test_a_bad_quantity_or_another_account_is_refused(client, pushed):
    shop, products, endpoint, _level = pushed
    bad = event(shop, products[0], sequence=10_000, quantity="1.5")
    bad["data"]["quantity"] = 1.5  # a JSON number
    assert post(client, shop, endpoint, bad).status_code == 400
    other = event(shop, products[0], sequence=10_000, account_id="acc_999999")
    assert post(client, shop, endpoint, other).status_code == 400


def test_an_unknown_product_is_ignored(client, pushed):
    shop, products, endpoint, _level = pushed
    body = event(shop, products[0], sequence=10_000)
    body["data"]["product_id"] = "prd_999999"
    assert post(client, shop, endpoint, body).status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.events_ignored == 1


def test_an_archived_product_leaves_the_ordering_pages(client, pushed):
    shop, products, endpoint, _level = pushed
    body = event(shop, products[0], sequence=10_000, kind="product.archived")
    body["data"] = {"id": products[0].escarcelle_id, "active": False}
    assert post(client, shop, endpoint, body).status_code == 200
    products[0].refresh_from_db()
    assert products[0].active is False


def test_a_gap_in_the_sequence_asks_for_a_sync(client, pushed):
    shop, products, endpoint, _level = pushed
    post(client, shop, endpoint, event(shop, products[0], sequence=10_000))
    assert StockSyncState.objects.get(shop=shop).requested_at is None
    post(client, shop, endpoint, event(shop, products[1], sequence=10_005))
    assert StockSyncState.objects.get(shop=shop).requested_at is not None


def test_a_get_is_not_allowed(client, pushed):
    shop, _products, endpoint, _level = pushed
    url = reverse(
        "escarcelle:stocks_webhook", kwargs={"shop_slug": shop.slug, "token": endpoint.token}
    )
    assert client.get(url).status_code == 405


def test_removing_the_connection_forgets_the_endpoint(pushed):
    shop, _products, _endpoint, _level = pushed
    Connection.objects.filter(shop=shop).delete()
    assert not WebhookEndpoint.objects.filter(shop=shop).exists()


def test_the_switch_requires_a_manager_of_the_shop(check_tenancy, shop):
    for name in ("escarcelle:stocks_webhook_enable", "escarcelle:stocks_webhook_disable"):
        check_tenancy(reverse(name, kwargs={"shop_slug": shop.slug}), method="post")


def test_the_stocks_page_shows_pushed_updates_and_each_figures_age(manager_client, pushed, client):
    shop, products, endpoint, _level = pushed
    post(client, shop, endpoint, event(shop, products[0], sequence=10_000))
    page = manager_client.get(reverse("escarcelle:stocks", kwargs={"shop_slug": shop.slug}))
    text = page.content.decode()
    assert "Dernier mouvement reçu il y a" in text
    assert "1 appliqués" in text
    assert "il y a 0 s" in text or "il y a 1 s" in text


def test_the_manager_switches_pushed_updates_on_and_off(manager_client, shop, sim):
    connect(shop=shop, account=sim)
    stocks = reverse("escarcelle:stocks", kwargs={"shop_slug": shop.slug})
    manager_client.post(
        reverse("escarcelle:stocks_webhook_enable", kwargs={"shop_slug": shop.slug})
    )
    endpoint = WebhookEndpoint.objects.get(shop=shop)
    with sim.client() as http:
        (remote,) = http.get("/webhooks").json()["data"]
    assert remote["id"] == endpoint.remote_id
    assert remote["url"].endswith(f"/{shop.slug}/stocks/webhook/{endpoint.token}/")
    assert "Désactiver" in manager_client.get(stocks).content.decode()
    manager_client.post(
        reverse("escarcelle:stocks_webhook_disable", kwargs={"shop_slug": shop.slug})
    )
    assert not WebhookEndpoint.objects.filter(shop=shop).exists()
    with sim.client() as http:
        assert http.get("/webhooks").json()["data"] == []


@pytest.mark.django_db(transaction=True)
def test_a_sale_at_the_till_reaches_the_figures_within_seconds(connected_shop, sim, live_server):
    shop, products = connected_shop
    stock_sync_shop(shop=shop)
    webhook_register(
        shop=shop, url_for=lambda token: f"{live_server.url}/{shop.slug}/stocks/webhook/{token}/"
    )
    product = products[0]
    moved = sim.sell_in_shop(product.escarcelle_id, "1")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        level = StockLevel.objects.get(product=product)
        if level.sequence == moved["sequence"]:
            break
        time.sleep(0.05)
    assert level.sequence == moved["sequence"]
    assert level.quantity == Decimal(moved["quantity"])


def test_a_flood_of_replays_and_forgeries_writes_once_and_never_fails(client, pushed):
    shop, products, endpoint, level = pushed
    body = event(shop, products[0], sequence=10_000, quantity="7.000")
    statuses = [post(client, shop, endpoint, body).status_code for _ in range(100)]
    statuses += [
        post(client, shop, endpoint, body, secret=f"whsec_forged{i}").status_code
        for i in range(100)
    ]
    assert statuses.count(200) == 100 and statuses.count(401) == 100
    level.refresh_from_db()
    assert (level.quantity, level.sequence) == (7, 10_000)
    endpoint.refresh_from_db()
    assert (endpoint.events_applied, endpoint.events_ignored, endpoint.events_rejected) == (
        1,
        99,
        100,
    )


def test_the_synchro_escarcelle_page_shows_whether_pushed_updates_arrive(
    manager_client, pushed, client
):
    shop, products, endpoint, _level = pushed
    settings_page = reverse("escarcelle:settings", kwargs={"shop_slug": shop.slug})
    post(client, shop, endpoint, event(shop, products[0], sequence=10_000))
    text = manager_client.get(settings_page).content.decode()
    assert "Mises à jour poussées par Escarcelle" in text
    assert "Dernier mouvement reçu il y a" in text
    endpoint.delete()
    text = manager_client.get(settings_page).content.decode()
    assert "Désactivées" in text
