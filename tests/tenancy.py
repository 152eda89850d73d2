"""Owner / member / outsider, and the one-line tenancy check every shop view gets.

    def test_it_guards_the_page(check_tenancy, shop):
        check_tenancy(reverse("catalog:products", kwargs={"shop_slug": shop.slug}))

checks that an anonymous visitor is sent to sign-in, a manager of another shop gets 404,
and a member with the wrong role gets 403 (a beneficiary on a manager page, or a manager on
a beneficiary page).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from shops.models import Role
from tests.factories import make_beneficiary, make_membership, make_shop


@pytest.fixture
def shop(db):
    return make_shop(name="Épicerie A", slug="epicerie-a")


@pytest.fixture
def other_shop(db):
    return make_shop(name="Épicerie B", slug="epicerie-b")


@pytest.fixture
def manager(shop):
    """The owner: a manager (gestionnaire) of ``shop``."""
    return make_membership(shop=shop, role=Role.MANAGER).user


@pytest.fixture
def beneficiary(shop):
    """The member: a beneficiary of ``shop``."""
    return make_beneficiary(shop=shop).membership.user


@pytest.fixture
def outsider(other_shop):
    """A manager of another shop."""
    return make_membership(shop=other_shop, role=Role.MANAGER).user


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def manager_client(manager) -> Client:
    return _client_for(manager)


@pytest.fixture
def beneficiary_client(beneficiary) -> Client:
    return _client_for(beneficiary)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client_for(outsider)


@pytest.fixture
def check_tenancy(manager, beneficiary, outsider) -> Callable[..., None]:
    def check(url: str, *, role: str = Role.MANAGER, method: str = "get", data=None) -> None:
        def call(user):
            client = _client_for(user)
            return getattr(client, method)(url, data or {})

        anonymous = call(None)
        assert anonymous.status_code == 302, f"anonymous on {url}: {anonymous.status_code}"
        assert "/compte/connexion/" in anonymous["Location"]
        assert call(outsider).status_code == 404, f"outsider on {url} must get 404"
        wrong_role = beneficiary if role == Role.MANAGER else manager
        assert call(wrong_role).status_code == 403, f"wrong role on {url} must get 403"
        right_role = manager if role == Role.MANAGER else beneficiary
        assert call(right_role).status_code in (200, 302), f"{role} on {url} must get in"

    return check
