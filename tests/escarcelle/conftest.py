"""Fixtures of the connector's tests, each with one meaning.

- ``sim``: a fresh emulator account that Epiclic's settings point at; nothing seeded, and no
  shop connected to it.
- ``connected``: ``sim`` with ``shop`` connected to it by ``manager`` through the service of
  *Synchro Escarcelle* (the key checked with the emulator); it is the account.

The stock tests add ``connected_shop`` (with imported products) and the sales tests
``seeded_sim`` (a seeded account, no in-call retries); see their conftest files.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from escarcelle.connection import connection_save
from shops.models import Shop
from tests.fixtures_escarcelle import SimAccount


@pytest.fixture
def sim(settings, escarcelle: SimAccount) -> SimAccount:
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    return escarcelle


@pytest.fixture
def connected(sim: SimAccount, shop: Shop, manager: User) -> SimAccount:
    connection_save(shop=shop, user=manager, api_key=sim.api_key)
    return sim
