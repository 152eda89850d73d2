"""Settings helpers: a malformed environment variable stops the start with a clear error."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from epiclic.settings import (
    envbool,
    envdatabase,
    envdecimal,
    envfloat,
    envint,
    envlist,
    envstr,
    envurl,
)

NAME = "EPICLIC_TEST_VARIABLE"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    def set_value(value: str) -> None:
        monkeypatch.setenv(NAME, value)

    monkeypatch.delenv(NAME, raising=False)
    return set_value


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " true "])
def test_a_boolean_reads_the_usual_words_for_true(env, value):
    env(value)
    assert envbool(NAME, "false") is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off"])
def test_a_boolean_reads_the_usual_words_for_false(env, value):
    env(value)
    assert envbool(NAME, "true") is False


def test_a_typo_in_a_boolean_is_refused_with_the_variable_name_and_the_accepted_words(env):
    env("ture")
    with pytest.raises(ImproperlyConfigured) as refused:
        envbool(NAME, "false")
    message = str(refused.value)
    assert NAME in message
    assert "'ture'" in message
    assert "true" in message and "false" in message


def test_an_unset_or_empty_variable_takes_its_default(env):
    assert envbool(NAME, "true") is True
    assert envint(NAME, "7") == 7
    env("  ")
    assert envbool(NAME, "true") is True
    assert envint(NAME, "7") == 7
    assert envstr(NAME, "fallback") == "fallback"
    assert envlist(NAME, "a,b") == ["a", "b"]


@pytest.mark.parametrize("value", ["2.5", "deux", "12abc", "1e3"])
def test_a_whole_number_that_is_not_one_is_refused_with_the_variable_name(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}.*whole number"):
        envint(NAME, "2")


def test_a_whole_number_below_its_minimum_is_refused(env):
    env("-1")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}.*at least 0"):
        envint(NAME, "2", minimum=0)
    env("0")
    assert envint(NAME, "2", minimum=0) == 0


@pytest.mark.parametrize("value", ["cinq", "nan", "inf", "5s"])
def test_a_number_that_is_not_a_finite_number_is_refused(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=NAME):
        envfloat(NAME, "5")


def test_a_number_reads_a_decimal_point_and_respects_its_minimum(env):
    env("2.5")
    assert envfloat(NAME, "5", minimum=0.1) == 2.5
    env("0")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}.*at least 0.1"):
        envfloat(NAME, "5", minimum=0.1)


def test_a_decimal_quantity_is_read_the_french_way_and_never_as_a_float(env):
    env("2,5")
    assert envdecimal(NAME, "3") == Decimal("2.5")
    env("trois")
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}.*decimal number"):
        envdecimal(NAME, "3")
    env("-1")
    with pytest.raises(ImproperlyConfigured, match=NAME):
        envdecimal(NAME, "3", minimum=Decimal("0"))


def test_a_list_drops_blanks_and_empty_items(env):
    env(" a.example.org , ,b.example.org,")
    assert envlist(NAME, "") == ["a.example.org", "b.example.org"]


def test_a_string_outside_its_choices_is_refused_with_the_choices(env):
    env("verbose")
    with pytest.raises(ImproperlyConfigured) as refused:
        envstr(NAME, "INFO", choices=("DEBUG", "INFO"))
    assert NAME in str(refused.value)
    assert "DEBUG, INFO" in str(refused.value)
    env("DEBUG")
    assert envstr(NAME, "INFO", choices=("DEBUG", "INFO")) == "DEBUG"


@pytest.mark.parametrize("value", ["epicerie.example.org", "ftp://x.org", "https://"])
def test_a_url_must_be_absolute_http_or_https(env, value):
    env(value)
    with pytest.raises(ImproperlyConfigured, match=f"{NAME}.*http"):
        envurl(NAME, "http://127.0.0.1:8000")


def test_a_database_url_with_an_unknown_scheme_is_refused_without_showing_its_password(env):
    env("postgress://epiclic:s3cret-password@db.example.org/epiclic")
    with pytest.raises(ImproperlyConfigured) as refused:
        envdatabase(NAME, "sqlite:///x.sqlite3", conn_max_age=0)
    assert NAME in str(refused.value)
    assert "s3cret-password" not in str(refused.value)


def test_the_settings_read_only_through_getattr_before_are_declared():
    assert settings.ESCARCELLE_SALES_CALL_RETRIES >= 0
    assert isinstance(settings.STOCK_LOW_THRESHOLD, Decimal)
    assert isinstance(settings.SECRET_KEY_FALLBACKS, list)


def test_every_environment_variable_read_by_the_settings_is_documented():
    base = Path(settings.BASE_DIR)
    source = (base / "epiclic" / "settings.py").read_text()
    names = set(re.findall(r"\benv[a-z]+\(\s*\"([A-Z_]+)\"", source))
    assert {"DEBUG", "STOCK_LOW_THRESHOLD", "ESCARCELLE_SALES_CALL_RETRIES"} <= names
    documented = (base / "docs" / "operations.md").read_text()
    assert sorted(name for name in names if f"`{name}`" not in documented) == []
