from __future__ import annotations

import pytest


@pytest.fixture
def sim(escarcelle, settings):
    """A seeded emulator account that Epiclic talks to; no in-call retries (rounds instead)."""
    settings.ESCARCELLE_BASE_URL = escarcelle.base_url
    settings.ESCARCELLE_SALES_CALL_RETRIES = 0
    escarcelle.seed(products=20, beneficiaries=5)
    return escarcelle
