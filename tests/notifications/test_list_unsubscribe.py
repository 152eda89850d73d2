"""The List-Unsubscribe header of every notification and its one-click POST (RFC 8058)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from epiclic import emails
from epiclic.models import OutgoingEmail
from notifications.services import (
    access_ending_notify,
    optout_read,
    optout_token,
    optout_url,
    orders_open_notify,
)
from shops.models import Membership, NotificationKind
from shops.team import manager_invite
from tests.factories import make_beneficiary, make_distribution, make_user
from tests.notifications.helpers import DAY, beneficiaries, today

OPEN = NotificationKind.ORDERS_OPEN
ONE_CLICK = "List-Unsubscribe=One-Click"


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _opts_out(header: str) -> tuple[int, str] | None:
    """Whom and what a List-Unsubscribe header switches off: it must be the site's opt-out
    page in angle brackets (folded on the wire when long); its token is read as the page
    reads it (two tokens signed a second apart differ, so they are not compared as text)."""
    link = "".join(header.split())
    assert link.startswith("<") and link.endswith(">"), link
    url = link[1:-1]
    prefix = optout_url(Membership(pk=1), OPEN).rstrip("/").rsplit("/", 1)[0]
    assert url.startswith(prefix + "/") and url.endswith("/"), url
    return optout_read(url.rstrip("/").rsplit("/", 1)[1])


def _one_click(client: Client, path: str):
    return client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")


def test_a_notification_arrives_with_list_unsubscribe_and_one_click_the_invitation_without(
    shop, smtp_server
):
    person = beneficiaries(shop, 1)[0].membership
    orders_open_notify(distribution=make_distribution(shop=shop))
    manager_invite(shop=shop, email="nouvelle@example.org")
    assert emails.email_send_due() == 2
    by_address = {m["To"]: m for m in smtp_server.received}
    notification = by_address[person.user.email]
    # A long header is folded on the wire; unfolded, it is the link in angle brackets: this
    # person's opt-out page for this kind (the token's timestamp is the sending second's).
    assert _opts_out(notification["List-Unsubscribe"]) == (person.pk, OPEN)
    assert notification["List-Unsubscribe-Post"] == ONE_CLICK
    invitation = by_address["nouvelle@example.org"]
    assert invitation["List-Unsubscribe"] is None and invitation["List-Unsubscribe-Post"] is None
    # Sent: the link is not kept in the database, like the bodies.
    assert list(OutgoingEmail.objects.values_list("headers", flat=True)) == [{}, {}]


def test_the_grocery_contact_s_copy_has_no_list_unsubscribe(shop):
    person = make_beneficiary(
        shop=shop, user=make_user(email="fin@example.org"), access_valid_until=today() + 2 * DAY
    ).membership
    assert access_ending_notify(shop=shop, today=today()) == 2
    by_address = {to[0]: h for to, h in OutgoingEmail.objects.values_list("to", "headers")}
    assert _opts_out(by_address[person.user.email]["List-Unsubscribe"]) == (
        person.pk,
        NotificationKind.ACCESS_ENDING,
    )
    assert by_address[shop.contact_email] == {}


def test_the_one_click_post_switches_that_kind_off_without_csrf_token_or_page(shop):
    person = beneficiaries(shop, 1)[0].membership
    path = _path(optout_url(person, OPEN))
    mail_client = Client(enforce_csrf_checks=True)
    assert mail_client.get(path).status_code == 200  # a GET only asks
    assert Membership.objects.get(pk=person.pk).notifications_off == []
    response = _one_click(mail_client, path)
    assert response.status_code == 200
    assert Membership.objects.get(pk=person.pk).notifications_off == [OPEN]
    assert _one_click(mail_client, path).status_code == 200  # again: nothing more to do


def test_a_one_click_post_with_a_forged_token_is_refused_and_changes_nothing(shop):
    person = beneficiaries(shop, 1)[0].membership
    token = optout_token(person, OPEN)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = _one_click(
        Client(enforce_csrf_checks=True), reverse("notifications:optout", args=[forged])
    )
    assert response.status_code == 404
    assert Membership.objects.get(pk=person.pk).notifications_off == []
