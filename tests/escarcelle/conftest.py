"""Shared helpers for the connector's tests: a shop connected to a fresh emulator account."""

from __future__ import annotations

import pytest

from escarcelle.connection import connection_save


@pytest.fixture
def connected(settings, escarcelle, shop, manager):
    """``shop`` connected to the ``escarcelle`` emulator account (settings point at it)."""
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    connection_save(shop=shop, user=manager, api_key=escarcelle.api_key)
    return escarcelle
