"""The operator space: staff only; create a grocery and invite its manager; the fleet in a
fixed number of queries; suspend and reactivate."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escarcelle import crypto
from escarcelle.models import Connection
from escarcelle.sales.models import SaleStatus
from escarcelle.stock.models import StockSyncState, SyncResult
from shops.models import Invitation, Membership, Role, Shop
from tests.emails import sent_emails
from tests.factories import make_sale, make_shop, make_staff, make_user

pytestmark = pytest.mark.django_db

OPERATOR_URLS = [
    reverse("operators:fleet"),
    reverse("operators:shop_create"),
    reverse("operators:shop", kwargs={"slug": "epicerie-a"}),
]


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(make_staff())
    return client


def _create(client: Client, **overrides: str):
    data = {
        "name": "Épicerie du Port",
        "slug": "epicerie-du-port",
        "address": "1 quai des Pêcheurs\n29900 Concarneau",
        "contact_email": "contact@port.example.org",
        "timezone": "Europe/Paris",
        "manager_email": "Gerante@Port.example.org",
        **overrides,
    }
    return client.post(reverse("operators:shop_create"), data)


@pytest.mark.parametrize("url", OPERATOR_URLS)
def test_it_answers_404_to_everyone_but_staff(url, shop, manager, beneficiary, outsider):
    assert Client().get(url).status_code == 404
    for user in (manager, beneficiary, outsider):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    staff = Client()
    staff.force_login(make_staff())
    assert staff.get(url).status_code == 200


@pytest.mark.parametrize("action", ["operators:shop_suspend", "operators:shop_reactivate"])
def test_suspension_actions_answer_404_to_managers(action, shop, manager_client):
    url = reverse(action, kwargs={"slug": shop.slug})
    assert manager_client.post(url).status_code == 404
    shop.refresh_from_db()
    assert shop.suspended_at is None


def test_staff_creates_a_grocery_and_its_manager_gets_an_invitation(staff_client):
    response = _create(staff_client)
    assert response.status_code == 302
    shop = Shop.objects.get(slug="epicerie-du-port")
    assert shop.timezone == "Europe/Paris"
    invitation = Invitation.objects.get(shop=shop)
    assert invitation.email == "gerante@port.example.org"
    (message,) = sent_emails()
    assert message.to == ["gerante@port.example.org"]
    assert "Épicerie du Port" in message.subject
    assert f"/compte/invitation/{invitation.token}/" in message.body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "epicerie-a"}, "déjà pris"),
        ({"slug": "operateur"}, "réservé"),
        ({"slug": "pas un slug!"}, "lettres, des chiffres et des tirets"),
        ({"manager_email": "pas-une-adresse"}, "adresse e-mail n&#x27;est pas valide"),
        ({"contact_email": "nope@"}, "adresse e-mail n&#x27;est pas valide"),
        ({"timezone": "Mars/Olympus"}, "n&#x27;est pas un fuseau horaire connu"),
    ],
)
def test_bad_input_gives_a_french_message_and_creates_nothing(
    staff_client, shop, overrides, message
):
    before = Shop.objects.count()
    response = _create(staff_client, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Shop.objects.count() == before
    assert not Invitation.objects.exists()
    assert sent_emails() == []


def test_the_manager_sets_a_password_from_the_link_and_manages_the_grocery(staff_client):
    _create(staff_client)
    invitation = Invitation.objects.get()
    url = reverse("invitation_accept", kwargs={"token": invitation.token})
    browser = Client()
    assert browser.get(url).status_code == 200
    response = browser.post(
        url, {"password1": "Un-mot-de-passe-2026", "password2": "Un-mot-de-passe-2026"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="gerante@port.example.org")
    assert membership.role == Role.MANAGER
    assert membership.user.check_password("Un-mot-de-passe-2026")
    assert (
        browser.get(reverse("shops:settings", kwargs={"shop_slug": "epicerie-du-port"})).status_code
        == 200
    )
    # The link served once.
    assert Client().get(url).status_code == 404


def test_an_existing_account_signs_in_and_accepts(staff_client):
    user = make_user(email="gerante@port.example.org")
    _create(staff_client)
    invitation = Invitation.objects.get()
    url = reverse("invitation_accept", kwargs={"token": invitation.token})
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "/compte/connexion/" in anonymous["Location"]
    assert not Membership.objects.filter(user=user).exists()
    other = Client()
    other.force_login(make_user())
    assert "connectez-vous avec ce compte" in other.post(url).content.decode()
    browser = Client()
    browser.force_login(user)
    assert browser.post(url).status_code == 302
    assert Membership.objects.get(user=user).role == Role.MANAGER


def test_inviting_twice_keeps_one_pending_invitation_and_sends_it_again(staff_client, shop):
    url = reverse("operators:shop", kwargs={"slug": shop.slug})
    staff_client.post(url, {"email": "new@example.org"})
    staff_client.post(url, {"email": "NEW@example.org "})
    invitation = Invitation.objects.get(shop=shop)
    assert invitation.sent_count == 2
    assert [m.to for m in sent_emails()] == [["new@example.org"], ["new@example.org"]]


def _fleet(count: int, start: int = 0) -> None:
    shops = Shop.objects.bulk_create(
        [Shop(name=f"Épicerie {n:04d}", slug=f"fleet-{n:04d}") for n in range(start, count)]
    )
    key = crypto.encrypt("esc_test_key")
    Connection.objects.bulk_create(
        [
            Connection(
                shop=s,
                api_key_encrypted=key,
                key_last4="_key",
                account_id=f"acc{s.pk}",
                account_name="x",
                key_rejected_at=timezone.now() if n % 7 == 0 else None,
            )
            for n, s in enumerate(shops)
            if n % 3
        ]
    )
    StockSyncState.objects.bulk_create(
        [
            StockSyncState(
                shop=s,
                last_attempt_at=timezone.now(),
                last_result=SyncResult.FAILED if n % 5 == 0 else SyncResult.OK,
                consecutive_failures=1 if n % 5 == 0 else 0,
            )
            for n, s in enumerate(shops)
            if n % 2
        ]
    )


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_fleet_page_runs_the_same_queries_for_10_and_1000_groceries(staff_client):
    _fleet(10)
    make_sale(shop=Shop.objects.get(slug="fleet-0001"), status=SaleStatus.FAILED)
    url = reverse("operators:fleet")
    small = _queries(staff_client, url)
    small_trouble = _queries(staff_client, url + "?difficulte=1")
    _fleet(1000, start=10)
    assert Shop.objects.count() == 1000
    assert _queries(staff_client, url) == small
    assert _queries(staff_client, url + "?difficulte=1&page=2") == small_trouble
    assert small <= 6


def test_the_fleet_page_shows_each_state_and_filters_the_groceries_in_trouble(staff_client):
    fine = make_shop(name="Alpha")
    refused = make_shop(name="Bravo")
    unreadable = make_shop(name="Charlie")
    failing = make_shop(name="Delta")
    for s in (fine, refused, unreadable, failing):
        Connection.objects.create(
            shop=s,
            api_key_encrypted=crypto.encrypt("k"),
            key_last4="k",
            account_id="a",
            account_name="a",
        )
    Connection.objects.filter(shop=refused).update(key_rejected_at=timezone.now())
    Connection.objects.filter(shop=unreadable).update(api_key_encrypted="not-a-fernet-token")
    StockSyncState.objects.create(
        shop=failing,
        last_result=SyncResult.FAILED,
        consecutive_failures=3,
        last_attempt_at=timezone.now(),
    )
    StockSyncState.objects.create(
        shop=unreadable,
        last_result=SyncResult.FAILED,
        consecutive_failures=1,
        last_attempt_at=timezone.now(),
    )
    make_shop(name="Echo")
    page = staff_client.get(reverse("operators:fleet")).content.decode()
    for label in ("connectée", "clé refusée", "clé illisible", "non connectée"):
        assert label in page
    trouble = staff_client.get(reverse("operators:fleet") + "?difficulte=1").content.decode()
    assert "Bravo" in trouble and "Charlie" in trouble and "Delta" in trouble
    assert "Alpha" not in trouble and "Echo" not in trouble
    search = staff_client.get(reverse("operators:fleet") + "?q=delt").content.decode()
    assert "Delta" in search and "Alpha" not in search


def test_a_suspended_grocery_shows_a_french_page_to_its_members(
    staff_client, shop, manager_client, beneficiary_client
):
    staff_client.post(reverse("operators:shop_suspend", kwargs={"slug": shop.slug}))
    shop.refresh_from_db()
    assert shop.suspended_at is not None
    for client, url in (
        (manager_client, reverse("shops:settings", kwargs={"shop_slug": shop.slug})),
        (beneficiary_client, reverse("shops:home", kwargs={"shop_slug": shop.slug})),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert "Épicerie suspendue" in response.content.decode()
    staff_client.post(reverse("operators:shop_reactivate", kwargs={"slug": shop.slug}))
    assert (
        manager_client.get(reverse("shops:settings", kwargs={"shop_slug": shop.slug})).status_code
        == 200
    )


def test_outsiders_still_get_404_on_a_suspended_grocery(shop, outsider_client):
    Shop.objects.filter(pk=shop.pk).update(suspended_at=timezone.now())
    url = reverse("shops:settings", kwargs={"shop_slug": shop.slug})
    assert outsider_client.get(url).status_code == 404


def test_the_fleet_page_speaks_english_when_asked(staff_client, settings):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = staff_client.get(reverse("operators:fleet")).content.decode()
    assert "Create a grocery" in page and "In trouble only" in page
