"""The Escarcelle client over real HTTP against the emulator (and a hostile local server)."""

from __future__ import annotations

import logging
import ssl
from decimal import Decimal

import pytest

from escarcelle import client as client_module
from escarcelle.client import EscarcelleClient, EscarcelleError


def client_for(account, **kwargs) -> EscarcelleClient:
    kwargs.setdefault("sleep", lambda s: None)
    return EscarcelleClient(account.api_key, base_url=account.base_url, **kwargs)


def test_account_answers_the_account_name(escarcelle):
    with client_for(escarcelle) as client:
        account = client.account()
    assert account.id == escarcelle.account_id
    assert account.name == escarcelle.name


def test_a_wrong_key_is_a_permanent_error_without_the_key_in_it(escarcelle):
    key = "wrong-" + escarcelle.api_key
    with EscarcelleClient(key, base_url=escarcelle.base_url) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    error = caught.value
    assert error.permanent and error.status == 401 and error.code == "unauthorized"
    assert "Clé Escarcelle refusée" in error.message
    assert key not in str(error) and key not in repr(error)


def test_iter_products_reads_every_page_with_decimals(escarcelle):
    escarcelle.seed(products=23, beneficiaries=0)
    with client_for(escarcelle) as client:
        products = list(client.iter_products(page_size=5))
    assert len(products) == 23
    assert len({p.id for p in products}) == 23
    assert all(isinstance(p.price, Decimal) for p in products)


def test_iter_beneficiaries_reads_every_page(escarcelle):
    escarcelle.seed(products=0, beneficiaries=7)
    with client_for(escarcelle) as client:
        people = list(client.iter_beneficiaries(page_size=3))
    assert len(people) == 7


def test_stock_snapshot_and_changes_return_the_sequence(escarcelle):
    escarcelle.seed(products=4, beneficiaries=0)
    first = escarcelle.products()[0]["id"]
    with client_for(escarcelle) as client:
        rows, sequence = client.stock_snapshot(page_size=2)
        escarcelle.restock(first, "3")
        changes, after = client.stock_changes(sequence)
    assert len(rows) == 4
    assert [c.product_id for c in changes] == [first]
    assert changes[0].delta == Decimal("3.000")
    assert after > sequence


def test_post_sale_is_replayed_with_the_same_key(escarcelle):
    escarcelle.seed(products=2, beneficiaries=0)
    product = escarcelle.products()[0]
    sale = {
        "external_ref": "EPICLIC-1",
        "date": "2026-11-27T10:15:00+01:00",
        "beneficiary_id": None,
        "lines": [
            {
                "product_id": product["id"],
                "quantity": Decimal("2"),
                "unit_price": Decimal("0.39"),
                "shelf_price": Decimal("1.29"),
            }
        ],
    }
    with client_for(escarcelle) as client:
        first = client.post_sale(sale, idempotency_key="k-1")
        again = client.post_sale(sale, idempotency_key="k-1")
        results = client.post_sales_batch([("k-1", sale), ("k-2", sale)])
        listed = list(client.list_sales(external_ref="EPICLIC-1"))
    assert first.id == again.id
    assert [r.replayed for r in results] == [True, False]
    assert len(listed) == 2


def test_server_errors_are_retried_until_success(escarcelle):
    escarcelle.seed(products=3, beneficiaries=0)
    escarcelle.set_faults(seed=3, error_rate=0.5)
    sleeps: list[float] = []
    with client_for(escarcelle, max_retries=10, sleep=sleeps.append) as client:
        for _ in range(6):
            assert client.account().id == escarcelle.account_id
    assert sleeps, "with a 50 % error rate at least one retry must have happened"


def test_without_retries_a_server_error_is_a_transient_error(escarcelle):
    escarcelle.set_faults(outage_s=60)
    with client_for(escarcelle, max_retries=0) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.permanent is False
    assert caught.value.status == 503
    assert caught.value.retry_after is not None
    assert "Escarcelle ne répond pas" in caught.value.message


def test_a_rate_limit_is_retried_after_the_retry_after_delay(escarcelle):
    escarcelle.set_rate_limit(1)
    sleeps: list[float] = []
    with client_for(escarcelle, max_retries=1, max_total_s=120, sleep=sleeps.append) as client:
        client.account()
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.status == 429 and not caught.value.permanent
    assert "limite le nombre de requêtes" in caught.value.message
    assert len(sleeps) == 1 and sleeps[0] >= caught.value.retry_after > 0
    assert sleeps[0] <= 30, "Retry-After is capped"


def test_a_retry_after_beyond_the_time_budget_is_not_slept(escarcelle):
    escarcelle.set_rate_limit(1)
    sleeps: list[float] = []
    with client_for(escarcelle, max_retries=3, max_total_s=5, sleep=sleeps.append) as client:
        client.account()
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.status == 429 and sleeps == []


def test_a_malformed_body_is_retried_then_reported(escarcelle):
    escarcelle.set_faults(seed=1, malformed_rate=1.0)
    sleeps: list[float] = []
    with client_for(escarcelle, max_retries=2, sleep=sleeps.append) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.code == "malformed" and not caught.value.permanent
    assert "illisible" in caught.value.message
    assert len(sleeps) == 2


def test_a_hanging_server_times_out_as_a_transient_error(escarcelle):
    escarcelle.set_faults(hang_s=2)
    with client_for(escarcelle, read_timeout=0.3, max_retries=0) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.code == "timeout" and not caught.value.permanent


def test_a_reset_connection_is_a_transient_network_error(escarcelle):
    escarcelle.set_faults(reset_before_commit_rate=1.0)
    with client_for(escarcelle, max_retries=0) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert caught.value.code == "network" and not caught.value.permanent


def test_an_unreachable_server_is_a_transient_error():
    with EscarcelleClient("k", base_url="http://127.0.0.1:9", max_retries=0) as client:
        with pytest.raises(EscarcelleError) as caught:
            client.account()
    assert not caught.value.permanent


def test_the_key_never_appears_in_the_logs(escarcelle, caplog):
    caplog.set_level(logging.DEBUG)
    escarcelle.seed(products=3, beneficiaries=0)
    with client_for(escarcelle) as client:
        client.account()
        list(client.iter_products())
    with EscarcelleClient(escarcelle.api_key + "x", base_url=escarcelle.base_url) as client:
        with pytest.raises(EscarcelleError):
            client.account()
    assert "escarcelle GET /account -> 200" in caplog.text
    assert escarcelle.api_key not in caplog.text
    assert "Bearer" not in caplog.text


def test_clients_share_one_tls_context_that_still_verifies_certificates(monkeypatch):
    built = []
    real = ssl.create_default_context

    def counting(*args, **kwargs):
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    client_module._ssl_context.cache_clear()
    for _ in range(3):
        EscarcelleClient("k", base_url="https://escarcelle.example").close()
    context = client_module._ssl_context()
    assert len(built) == 1
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
