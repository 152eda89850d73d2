"""The Escarcelle key stays secret: no repr, admin page, error page or error report shows it."""

from __future__ import annotations

import sys

import pytest
from django.core.signals import got_request_exception
from django.urls import reverse
from django.views.debug import ExceptionReporter

from escarcelle.client import EscarcelleClient
from escarcelle.connection import client_for_shop, connection_save
from escarcelle.models import Connection


def test_reprs_of_the_client_and_the_connection_hide_the_key(connected, shop):
    connection = Connection.objects.get(shop=shop)
    with client_for_shop(shop) as client:
        shown = " ".join(
            [repr(client), repr(client._auth), repr(client._http.headers), repr(connection)]
        )
        shown += str(connection) + repr(vars(connection))
    assert connected.api_key not in shown
    assert connected.api_key[-4:] not in repr(client)


def test_the_admin_shows_the_connection_without_the_key_or_an_editable_field(
    connected, shop, admin_client
):
    connection = Connection.objects.get(shop=shop)
    change = admin_client.get(
        reverse("admin:escarcelle_connection_change", args=[connection.pk])
    ).content.decode()
    listing = admin_client.get(reverse("admin:escarcelle_connection_changelist")).content.decode()
    assert connection.account_name in change and connection.account_name in listing
    for page in (change, listing):
        assert connected.api_key not in page
        assert connection.api_key_encrypted not in page
    assert 'name="api_key_encrypted"' not in change
    for field in ("api_key_encrypted", "key_last4", "account_name", "account_id", "shop"):
        assert f'name="{field}"' not in change
    assert admin_client.get(reverse("admin:escarcelle_connection_add")).status_code == 403


@pytest.fixture
def crash_while_checking_the_key(monkeypatch):
    def crash(self: EscarcelleClient) -> None:
        raise RuntimeError("an unexpected bug")

    monkeypatch.setattr(EscarcelleClient, "account", crash)


def test_a_crash_while_saving_a_key_leaks_it_neither_on_the_500_page_nor_in_the_report(
    on_key_page, crash_while_checking_the_key, manager_client, settings
):
    settings.DEBUG = False
    key = on_key_page["key"]
    reports: list[str] = []

    def report(sender: object, request: object, **kwargs: object) -> None:
        reporter = ExceptionReporter(request, *sys.exc_info())
        reports.append(reporter.get_traceback_text())
        reports.append(reporter.get_traceback_html())

    got_request_exception.connect(report)
    manager_client.raise_request_exception = False
    try:
        response = manager_client.post(on_key_page["url"], {"action": "save", "api_key": key})
    finally:
        got_request_exception.disconnect(report)
    assert response.status_code == 500
    assert key not in response.content.decode()
    assert reports and "an unexpected bug" in reports[0]
    assert "connection_save" in reports[0]
    for text in reports:
        assert key not in text


@pytest.fixture
def on_key_page(settings, escarcelle, shop):
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    return {
        "key": escarcelle.api_key,
        "url": reverse("escarcelle:settings", kwargs={"shop_slug": shop.slug}),
    }


def test_an_error_report_outside_a_request_hides_the_key_too(
    on_key_page, crash_while_checking_the_key, shop, settings
):
    settings.DEBUG = False
    try:
        connection_save(shop=shop, user=None, api_key=on_key_page["key"])
    except RuntimeError:
        kind, error, traceback = sys.exc_info()
        # From connection_save down: this test's own frame holds the key in a fixture.
        html = ExceptionReporter(None, kind, error, traceback.tb_next).get_traceback_html()
    assert "connection_save" in html
    assert on_key_page["key"] not in html
