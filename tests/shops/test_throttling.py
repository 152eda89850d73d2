"""Throttling, as an attacker guessing passwords or flooding someone's mailbox would try it."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_beneficiary, make_user


def _guess(client, username, password="pas-le-bon", address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_after_ten_wrong_passwords_even_the_right_one_is_refused_with_when_to_retry(client, db):
    victim = make_user()
    for _ in range(10):
        assert _guess(client, victim.username).status_code == 200
    refused = _guess(client, victim.username, password=PASSWORD)
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Trop de tentatives de connexion" in page
    assert re.search(r"Réessayez dans ([1-9]|1[0-5]) minutes?\.", page)
    assert "_auth_user_id" not in client.session


def test_the_account_limit_holds_whatever_address_the_guesses_come_from(client, db):
    victim = make_user()
    for number in range(10):
        _guess(client, victim.username, address=f"198.51.100.{number}")
    assert _guess(client, victim.username, PASSWORD, address="192.0.2.99").status_code == 429


def test_one_address_guessing_many_accounts_is_stopped_and_others_still_sign_in(
    client, db, settings
):
    settings.SIGNIN_FAILURES_PER_ADDRESS = 5
    bystander = make_user()
    for number in range(5):
        _guess(client, f"personne{number}@example.org")
    assert _guess(client, bystander.username, PASSWORD).status_code == 429
    assert _guess(client, bystander.username, PASSWORD, address="192.0.2.1").status_code == 302


def test_a_few_mistakes_then_the_right_password_signs_in(client, db):
    user = make_user()
    for _ in range(3):
        _guess(client, user.username)
    assert _guess(client, user.username, PASSWORD).status_code == 302


def test_password_reset_e_mails_are_limited_per_address(client, db):
    victim = make_user()
    url = reverse("password_reset")
    for number in range(8):
        client.post(url, {"email": victim.email}, REMOTE_ADDR=f"198.51.100.{number}")
    assert len(mail.outbox) == 3
    refused = client.post(url, {"email": victim.email}, REMOTE_ADDR="192.0.2.5")
    assert refused.status_code == 429
    assert "Trop de demandes de réinitialisation" in refused.content.decode()


def test_password_reset_e_mails_are_limited_per_client(client, db):
    url = reverse("password_reset")
    users = [make_user() for _ in range(12)]
    answers = [client.post(url, {"email": user.email}).status_code for user in users]
    assert answers.count(302) == 10 and answers[-1] == 429
    assert len(mail.outbox) == 10


def test_with_the_cache_unreachable_people_still_sign_in_and_reset(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # a closed loopback port
        }
    }
    user = make_user()
    assert _guess(client, user.username).status_code == 200
    assert _guess(client, user.username, PASSWORD).status_code == 302
    assert Client().post(reverse("password_reset"), {"email": user.email}).status_code == 302


def _change_password(client, shop, old):
    return client.post(
        reverse("distributions:account_password", kwargs={"shop_slug": shop.slug}),
        {
            "old_password": old,
            "new_password1": "n0uveau-mdp-2026",
            "new_password2": "n0uveau-mdp-2026",
        },
    )


def test_wrong_passwords_typed_in_mon_compte_count_with_the_failed_sign_ins(shop):
    person = make_beneficiary(shop=shop).membership.user
    session = Client()
    session.force_login(person)
    # A session left open is no way round the sign-in's limit: five guesses in Mon compte…
    for _ in range(5):
        assert _change_password(session, shop, "pas-le-bon").status_code == 400
    for _ in range(5):  # …and five at the sign-in page make the ten allowed.
        _guess(Client(), person.username)
    refused = _change_password(session, shop, PASSWORD)
    assert refused.status_code == 400
    assert "Trop de tentatives" in refused.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD)  # unchanged, although the right one was typed
    assert _guess(Client(), person.username, password=PASSWORD).status_code == 429


def test_a_new_e_mail_with_wrong_passwords_is_refused_once_over_the_limit(shop):
    person = make_beneficiary(shop=shop).membership.user
    session = Client()
    session.force_login(person)
    account = reverse("distributions:account", kwargs={"shop_slug": shop.slug})

    def new_email(password):
        return session.post(
            account,
            {"form": "account", "first_name": "A", "last_name": "B", "email": "neuf@exemple.fr"}
            | {"current_password": password},
        )

    for _ in range(10):
        assert "n&#x27;est pas le bon" in new_email("pas-le-bon").content.decode()
    refused = new_email(PASSWORD).content.decode()
    assert "Trop de tentatives" in refused
    person.refresh_from_db()
    assert person.email != "neuf@exemple.fr"
