"""Order confirmed / changed / cancelled, what was missing after validation, access ending, and
the one-click opt-out link."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from distributions.models import OrderLine
from distributions.services import (
    distribution_validate,
    order_cancel,
    order_confirm,
    order_line_deliver,
)
from notifications.models import Notification
from notifications.services import access_ending_due, optout_token
from shops.models import Membership, NotificationKind
from tests.emails import sent_emails
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_order,
    make_product,
    make_user,
)
from tests.notifications.helpers import beneficiaries, recipients, today

DAY = datetime.timedelta(days=1)


def test_each_confirmation_change_and_cancellation_sends_one_email_with_the_order(shop):
    rice = make_product(shop=shop, name="Riz", price="3.00")
    oil = make_product(shop=shop, name="Huile", price="5.00")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[rice, oil])], place="Préau"
    )
    person = make_beneficiary(
        shop=shop, user=make_user(email="awa@example.org"), participation_rate="50"
    ).membership
    order = order_confirm(membership=person, distribution=distribution, quantities={rice.pk: 2})
    order = order_confirm(
        membership=person, distribution=distribution, quantities={rice.pk: 1, oil.pk: 1}
    )
    order_cancel(order=order)
    confirmed, changed, cancelled = sent_emails()
    assert "votre commande est confirmée" in confirmed.subject
    assert (
        "Riz × 2 : 3,00\xa0€" in confirmed.body and "Montant à payer : 3,00\xa0€" in confirmed.body
    )
    assert "Préau" in confirmed.body
    assert "votre commande est modifiée" in changed.subject
    assert "Huile × 1" in changed.body and "Montant à payer : 4,00\xa0€" in changed.body
    assert "votre commande est annulée" in cancelled.subject
    assert {m.to[0] for m in (confirmed, changed, cancelled)} == {"awa@example.org"}
    assert Notification.objects.filter(kind=NotificationKind.ORDER_CHANGED).count() == 3


def test_a_person_who_switched_order_emails_off_still_orders_and_gets_none(shop):
    rice = make_product(shop=shop, name="Riz")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[rice])]
    )
    person = make_beneficiary(shop=shop).membership
    person.notifications_off = [NotificationKind.ORDER_CHANGED]
    person.save()
    order_confirm(membership=person, distribution=distribution, quantities={rice.pk: 1})
    assert sent_emails() == [] and not Notification.objects.exists()


def test_after_validation_only_those_who_got_less_hear_what_was_missing(shop, manager):
    rice = make_product(shop=shop, name="Riz", price="2.00")
    beans = make_product(shop=shop, name="Haricots", price="1.00")
    distribution = make_distribution(shop=shop, state="closed")
    short, full = beneficiaries(shop, 2)
    short_order = make_order(
        membership=short.membership, distribution=distribution, lines={rice: 2, beans: 3}
    )
    make_order(membership=full.membership, distribution=distribution, lines={rice: 1})
    order_line_deliver(
        line=OrderLine.objects.get(order=short_order, product=rice), delivered_quantity=Decimal("0")
    )
    order_line_deliver(
        line=OrderLine.objects.get(order=short_order, product=beans),
        delivered_quantity=Decimal("1"),
    )
    distribution_validate(distribution=distribution, user=manager)
    (message,) = sent_emails()
    assert message.to == [short.membership.user.email]
    assert "Riz : manquant (2 commandés)" in message.body
    assert "Haricots : 1 remis sur 3 commandés" in message.body


def test_access_ending_tells_the_person_and_the_groceries_contact_once(shop):
    shop.access_ending_days = 7
    shop.contact_email = "contact@epicerie.example.org"
    shop.save()
    ending = make_beneficiary(
        shop=shop,
        user=make_user(email="fin@example.org"),
        first_name="Léa",
        last_name="Martin",
        access_valid_until=today() + 3 * DAY,
    )
    make_beneficiary(
        shop=shop, user=make_user(email="tard@example.org"), access_valid_until=today() + 30 * DAY
    )
    assert access_ending_due() == 2
    assert access_ending_due() == 0
    assert recipients() == ["contact@epicerie.example.org", "fin@example.org"]
    mine = next(m for m in sent_emails() if m.to == ["fin@example.org"])
    assert "votre accès se termine" in mine.subject
    contact = next(m for m in sent_emails() if m.to == ["contact@epicerie.example.org"])
    assert "Léa Martin" in contact.subject and "desabonnement" not in contact.body
    # Extended, then ending again: told again before the new end.
    ending.access_valid_until = today() + 5 * DAY
    ending.save()
    assert access_ending_due() == 2


def test_the_one_click_link_asks_then_switches_that_kind_off_without_sign_in(client, shop):
    distribution = make_distribution(shop=shop)
    person = beneficiaries(shop, 1)[0].membership
    from notifications.services import orders_open_notify

    orders_open_notify(distribution=distribution)
    (message,) = sent_emails()
    url = re.search(r"http://\S+/compte/notifications/desabonnement/\S+/", message.body).group(0)
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and "Me désabonner" in page.content.decode()
    assert Membership.objects.get(pk=person.pk).notifications_off == []  # a scanner changes nothing
    done = client.post("/" + path)
    assert "vous ne recevrez plus" in done.content.decode()
    assert Membership.objects.get(pk=person.pk).notifications_off == [NotificationKind.ORDERS_OPEN]


def test_a_forged_or_foreign_opt_out_link_changes_nothing(client, shop):
    person = beneficiaries(shop, 1)[0].membership
    token = optout_token(person, NotificationKind.ORDERS_OPEN)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(reverse("notifications:optout", args=[forged]))
    assert response.status_code == 404
    assert Membership.objects.get(pk=person.pk).notifications_off == []


def test_an_order_email_never_makes_the_order_fail(shop, monkeypatch):
    rice = make_product(shop=shop, name="Riz")
    distribution = make_distribution(
        shop=shop, catalogues=[make_catalogue(shop=shop, products=[rice])]
    )
    person = make_beneficiary(shop=shop).membership

    def broken(**kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr("notifications.services.order_changed_notify", broken)
    order = order_confirm(membership=person, distribution=distribution, quantities={rice.pk: 1})
    assert order.pk and order.lines.count() == 1
    assert timezone.now()
