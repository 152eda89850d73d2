from __future__ import annotations

import pytest

from tests.fixtures_escarcelle import SimAccount


@pytest.fixture
def seeded_sim(sim: SimAccount, settings) -> SimAccount:
    """``sim`` seeded with 20 products and 5 beneficiaries; no in-call retries (rounds instead)."""
    settings.ESCARCELLE_SALES_CALL_RETRIES = 0
    sim.seed(products=20, beneficiaries=5)
    return sim
