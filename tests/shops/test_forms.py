from __future__ import annotations

from decimal import Decimal

import pytest

from shops.forms import BeneficiaryForm

FIELDS = {"household_size": "2", "access_valid_until": "", "active": "on"}


@pytest.mark.parametrize("typed", ["12,5", "12.5", " 12,50 % "])
def test_the_rate_is_read_by_the_one_french_decimal_parser(db, typed):
    form = BeneficiaryForm({**FIELDS, "participation_rate": typed, "monthly_budget": "1 234,5"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["participation_rate"] == Decimal("12.5")
    assert form.cleaned_data["monthly_budget"] == Decimal("1234.5")


@pytest.mark.parametrize("typed", ["1e2", "douze", "NaN"])
def test_a_rate_that_is_not_a_plain_number_is_refused_with_a_french_message(typed):
    form = BeneficiaryForm({**FIELDS, "participation_rate": typed})
    assert not form.is_valid()
    assert form.errors["participation_rate"] == [
        "Indiquez un taux en chiffres, par exemple 30 ou 12,5."
    ]
