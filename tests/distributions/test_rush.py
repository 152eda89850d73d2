"""The opening of orders: the cached product list follows every change that shows on it, and a
busy database never answers 400/500 (the cart writes nothing; the confirmation retries, then
says "trop de monde" with nothing lost)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from distributions.models import Order
from tests.factories import make_beneficiary, make_catalogue, make_distribution, make_product


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"distributions:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


@pytest.fixture
def rice(shop):
    return make_product(shop=shop, name="Riz", price="2.00", stock="5", category="Épicerie")


@pytest.fixture
def catalogue(shop, rice):
    return make_catalogue(shop=shop, products=[rice])


@pytest.fixture
def distribution(shop, catalogue):
    return make_distribution(shop=shop, catalogues=[catalogue])


def page(client, shop, distribution) -> str:
    response = client.get(url("order_distribution", shop, pk=distribution.pk))
    assert response.status_code == 200
    return response.content.decode()


# --- The cached product list ---------------------------------------------------------------


def test_a_price_change_shows_at_once(beneficiary_client, shop, distribution, rice):
    assert "0,60\u00a0€" in page(beneficiary_client, shop, distribution)  # 30 % of 2,00 €
    rice.price = Decimal("3.00")
    rice.save()
    html = page(beneficiary_client, shop, distribution)
    assert "0,90\u00a0€" in html and "0,60\u00a0€" not in html


def test_a_stock_change_shows_at_once(beneficiary_client, shop, distribution, rice):
    assert "épuisé" not in page(beneficiary_client, shop, distribution)
    rice.stock = Decimal("0")
    rice.save(update_fields=["stock"])
    assert "épuisé" in page(beneficiary_client, shop, distribution)


def test_a_catalogue_change_shows_at_once(beneficiary_client, shop, distribution, catalogue, rice):
    assert "Riz" in page(beneficiary_client, shop, distribution)
    pasta = make_product(shop=shop, name="Pâtes", category="Épicerie")
    catalogue.products.set([pasta])
    html = page(beneficiary_client, shop, distribution)
    assert "Pâtes" in html and "Riz" not in html
    distribution.catalogues.set([make_catalogue(shop=shop, products=[rice])])
    html = page(beneficiary_client, shop, distribution)
    assert "Riz" in html and "Pâtes" not in html


def test_members_paying_another_rate_each_see_their_price(
    beneficiary_client, client, shop, distribution
):
    assert "0,60\u00a0€" in page(beneficiary_client, shop, distribution)
    other = make_beneficiary(shop=shop, participation_rate="50")
    client.force_login(other.membership.user)
    html = page(client, shop, distribution)
    assert "1,00\u00a0€" in html and "0,60\u00a0€" not in html


# --- A busy database (SQLite's one write lock) ---------------------------------------------


@pytest.fixture
def short_busy_timeout():
    """SQLite gives up on the lock after 0.3 s instead of 20 s (a busy rush, quickly)."""
    if connection.vendor != "sqlite":
        pytest.fail("A SQLite lock test: deselect it on another database (-m 'not sqlite').")
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("timeout")
    options["timeout"] = 0.3
    connection.close()
    yield
    options["timeout"] = before
    connection.close()


class WriteLock:
    """Another writer holding SQLite's write lock on the test database."""

    def __init__(self) -> None:
        self.db = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)

    def __enter__(self) -> WriteLock:
        self.db.execute("BEGIN IMMEDIATE")
        return self

    def release(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.db.close()


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_the_cart_answers_while_another_writer_holds_the_lock(
    short_busy_timeout, beneficiary_client, shop, distribution, rice
):
    with WriteLock():
        response = beneficiary_client.post(
            url("cart", shop, pk=distribution.pk),
            {"product": rice.pk, "quantity": "2"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert "2&nbsp;×" in response.content.decode()


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_that_meets_the_lock_is_retried_whole(
    short_busy_timeout, beneficiary_client, shop, distribution, rice, monkeypatch
):
    beneficiary_client.post(
        url("cart", shop, pk=distribution.pk), {"product": rice.pk, "quantity": "2"}
    )
    with WriteLock() as lock:
        # The other writer finishes while the confirmation waits to try again.
        monkeypatch.setattr("epiclic.busy.time.sleep", lambda s: lock.release())
        response = beneficiary_client.post(url("confirm", shop, pk=distribution.pk))
    assert response.status_code == 302
    order = Order.objects.get()
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [
        (rice.pk, Decimal("2"))
    ]


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_still_locked_out_says_trop_de_monde_and_loses_nothing(
    short_busy_timeout, beneficiary_client, shop, distribution, rice, monkeypatch
):
    beneficiary_client.post(
        url("cart", shop, pk=distribution.pk), {"product": rice.pk, "quantity": "2"}
    )
    monkeypatch.setattr("epiclic.busy.time.sleep", lambda s: None)
    with WriteLock():
        response = beneficiary_client.post(url("confirm", shop, pk=distribution.pk))
    assert response.status_code == 503 and response["Retry-After"]
    assert "Trop de monde, réessayez dans un instant" in response.content.decode()
    assert not Order.objects.exists()
    # The cart is still there: confirming again, once the rush has passed, works.
    assert "2&nbsp;×" in page(beneficiary_client, shop, distribution)
    assert beneficiary_client.post(url("confirm", shop, pk=distribution.pk)).status_code == 302
    assert Order.objects.get().lines.get().quantity == Decimal("2")


def test_the_ordering_page_works_with_the_cache_unreachable(
    beneficiary_client, shop, distribution, settings
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # a closed loopback port
        }
    }
    html = page(beneficiary_client, shop, distribution)
    assert "Riz" in html and "0,60\u00a0€" in html
