"""Sign-in: "Rester connecté" and the password hasher (Argon2id, older hashes upgraded)."""

from __future__ import annotations

import resource

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.urls import reverse

from tests.factories import PASSWORD, make_user

ARGON2 = [
    "epiclic.hashers.EpiclicArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def sign_in(client, user, **extra):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD, **extra})


def test_rester_connecte_keeps_the_session_for_the_documented_days(client, db, settings):
    user = make_user()
    page = client.get(reverse("login")).content.decode()
    assert "Rester connecté" in page and f"{settings.SESSION_REMEMBER_DAYS} jours" in page
    assert sign_in(client, user, remember="on").status_code == 302
    assert client.session.get_expiry_age() == settings.SESSION_REMEMBER_DAYS * 24 * 3600
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] != ""


def test_without_rester_connecte_the_session_ends_with_the_browser(client, db, settings):
    user = make_user()
    assert sign_in(client, user).status_code == 302
    assert client.session.get_expire_at_browser_close()
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""


def test_an_old_pbkdf2_hash_is_upgraded_to_argon2id_at_sign_in(client, db, settings):
    settings.PASSWORD_HASHERS = ARGON2
    user = make_user()
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert sign_in(client, user).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password(PASSWORD, user.password)


@pytest.mark.parametrize("hasher", ["argon2"])
def test_a_password_check_costs_well_under_300_ms_of_cpu(settings, hasher):
    settings.PASSWORD_HASHERS = ARGON2
    encoded = make_password("un mot de passe", hasher=hasher)
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(3):
        assert check_password("un mot de passe", encoded)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ms = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000 / 3
    assert cpu_ms < 300
