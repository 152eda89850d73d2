"""Orders open, the reminder before closing and the pick-up reminder: who gets which e-mail,
once per person and event, and what the grocery sees."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from distributions.services import distribution_open_now
from epiclic import emails
from epiclic.models import EmailStatus, OutgoingEmail
from notifications.models import Notification
from notifications.services import (
    notifications_due,
    orders_closing_remind,
    orders_open_notify,
    pickup_remind,
)
from shops.models import NotificationKind
from shops.notifications import notification_wanted
from tests.emails import sent_emails
from tests.factories import (
    make_beneficiary,
    make_distribution,
    make_order,
    make_product,
    make_slot,
    make_user,
)
from tests.notifications.helpers import beneficiaries, emails_to, recipients, today

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def test_opening_orders_now_emails_each_beneficiary_whose_access_covers_the_day(
    shop, manager, django_capture_on_commit_callbacks
):
    distribution = make_distribution(shop=shop, state="upcoming", place="Salle Jaurès")
    ok = make_beneficiary(shop=shop, user=make_user(email="ok@example.org"), first_name="Awa")
    make_beneficiary(
        shop=shop, user=make_user(email="expired@example.org"), access_valid_until=today()
    )
    make_beneficiary(shop=shop, user=make_user(email="inactive@example.org"), active=False)
    with django_capture_on_commit_callbacks(execute=True):
        distribution_open_now(distribution=distribution, user=manager)
    assert recipients() == ["ok@example.org"]
    (message,) = emails_to("ok@example.org")
    assert "commandes ouvertes" in message.subject
    assert "Bonjour Awa," in message.body and "Salle Jaurès" in message.body
    order_path = reverse(
        "distributions:order_distribution", kwargs={"shop_slug": shop.slug, "pk": distribution.pk}
    )
    assert order_path in message.body
    assert "/compte/notifications/desabonnement/" in message.body
    assert Notification.objects.get().membership == ok.membership


def test_a_beneficiary_without_an_email_is_logged_as_not_notified(shop, manager_client):
    distribution = make_distribution(shop=shop)
    beneficiaries(shop, 1)
    nobody = make_beneficiary(shop=shop, user=make_user(email=""), first_name="Sans")
    nobody.membership.user.email = ""
    nobody.membership.user.save()
    assert orders_open_notify(distribution=distribution) == 2
    row = Notification.objects.get(membership=nobody.membership)
    assert row.email is None and row.status_label == "pas d'adresse e-mail"
    assert len(sent_emails()) == 1
    page = manager_client.get(
        reverse("distributions:detail", kwargs={"shop_slug": shop.slug, "pk": distribution.pk})
    ).content.decode()
    assert "1 personne non prévenue" in page and "Sans" in page
    assert "envoyé" in page


def test_opening_twice_and_the_periodic_sweep_send_each_person_one_email(shop):
    distribution = make_distribution(shop=shop, orders_open_at=timezone.now() - HOUR)
    beneficiaries(shop, 3)
    assert orders_open_notify(distribution=distribution) == 3
    assert orders_open_notify(distribution=distribution) == 0
    assert notifications_due() == 0
    assert len(sent_emails()) == 3
    assert Notification.objects.count() == OutgoingEmail.objects.count() == 3


def test_the_sweep_announces_orders_opened_by_their_date_but_not_old_ones(shop, other_shop):
    fresh = make_distribution(shop=shop, orders_open_at=timezone.now() - HOUR)
    make_distribution(shop=other_shop, orders_open_at=timezone.now() - 3 * DAY)
    make_distribution(shop=shop, state="upcoming")
    beneficiaries(shop, 2)
    beneficiaries(other_shop, 2, prefix="o")
    assert notifications_due() == 2
    assert set(Notification.objects.values_list("distribution", flat=True)) == {fresh.pk}


def test_the_reminder_goes_to_those_who_have_not_ordered_within_the_groceries_delay(shop):
    shop.reminder_hours = 24
    shop.save()
    opened = timezone.now() - 2 * DAY  # announced long ago: only reminders are due
    soon = make_distribution(
        shop=shop, orders_open_at=opened, orders_close_at=timezone.now() + 10 * HOUR
    )
    later = make_distribution(
        shop=shop, orders_open_at=opened, orders_close_at=timezone.now() + 30 * HOUR
    )
    ordered, waiting = beneficiaries(shop, 2)
    make_order(membership=ordered.membership, distribution=soon, lines={make_product(shop=shop): 1})
    assert notifications_due() == 1
    assert orders_closing_remind(distribution=soon) == 0
    (message,) = sent_emails()
    assert message.to == [waiting.membership.user.email]
    assert "les commandes ferment" in message.subject
    assert "pas encore commandé" in message.body
    assert not Notification.objects.filter(distribution=later).exists()


def test_a_reminder_delay_of_zero_sends_no_reminder(shop):
    shop.reminder_hours = 0
    shop.save()
    make_distribution(shop=shop, orders_close_at=timezone.now() + HOUR)
    beneficiaries(shop, 1)
    notifications_due()
    assert not Notification.objects.filter(kind="orders_closing").exists()


def test_the_pickup_reminder_goes_the_day_before_to_those_with_an_order(shop):
    distribution = make_distribution(
        shop=shop,
        state="closed",
        starts_at=timezone.now() + 20 * HOUR,
        place="Salle Jaurès",
    )
    with_order, without = beneficiaries(shop, 2)
    rice = make_product(shop=shop, name="Riz basmati", price="2.00")
    make_order(membership=with_order.membership, distribution=distribution, lines={rice: 2})
    assert notifications_due() == 1
    assert pickup_remind(distribution=distribution) == 0
    (message,) = sent_emails()
    assert message.to == [with_order.membership.user.email]
    assert "retrait de votre commande" in message.subject
    assert "Riz basmati × 2" in message.body and "Salle Jaurès" in message.body
    assert "Montant à payer" in message.body


def test_the_groceries_switch_and_the_persons_opt_out_are_both_honoured(shop):
    distribution = make_distribution(shop=shop)
    keen, done = beneficiaries(shop, 2)
    done.membership.notifications_off = [NotificationKind.ORDERS_OPEN]
    done.membership.save()
    assert not notification_wanted(shop, done.membership, NotificationKind.ORDERS_OPEN)
    assert notification_wanted(shop, done.membership, NotificationKind.ORDER_CHANGED)
    orders_open_notify(distribution=distribution)
    assert recipients() == [keen.membership.user.email]
    shop.notifications_off = [NotificationKind.PICKUP_REMINDER]
    shop.save()
    assert not notification_wanted(shop, keen.membership, NotificationKind.PICKUP_REMINDER)
    make_order(
        membership=keen.membership, distribution=distribution, lines={make_product(shop=shop): 1}
    )
    assert pickup_remind(distribution=distribution) == 0


def test_a_kind_the_grocery_switched_off_reads_nobody_and_sends_nothing(shop):
    distribution = make_distribution(shop=shop)
    beneficiaries(shop, 2)
    shop.notifications_off = [NotificationKind.ORDERS_OPEN]
    shop.save()
    distribution.shop = shop
    with CaptureQueriesContext(connection) as queries:
        assert orders_open_notify(distribution=distribution) == 0
    assert [q["sql"] for q in queries.captured_queries] == []
    assert sent_emails() == [] and not Notification.objects.exists()


def _fan_out_queries(shop, n: int) -> int:
    distribution = make_distribution(shop=shop)
    beneficiaries(shop, n, prefix=f"q{n}-")
    with CaptureQueriesContext(connection) as queries:
        assert orders_open_notify(distribution=distribution) == n
    return len(queries)


def test_the_orders_open_fan_out_runs_the_same_number_of_queries_for_10_or_40(shop, other_shop):
    assert _fan_out_queries(shop, 10) == _fan_out_queries(other_shop, 40)


def test_with_the_smtp_server_down_nothing_is_lost_and_the_log_says_en_attente(
    shop, manager_client, smtp_down
):
    distribution = make_distribution(shop=shop)
    beneficiaries(shop, 2)
    orders_open_notify(distribution=distribution)
    assert emails.email_send_due() == 0
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {EmailStatus.PENDING}
    response = manager_client.get(
        reverse("distributions:detail", kwargs={"shop_slug": shop.slug, "pk": distribution.pk})
    )
    assert response.status_code == 200
    assert response.content.decode().count("en attente") == 2


def test_when_the_smtp_server_is_back_the_pending_emails_go_once(shop, smtp_server):
    distribution = make_distribution(shop=shop)
    beneficiaries(shop, 3)
    smtp_server.refuse = True
    orders_open_notify(distribution=distribution)
    assert emails.email_send_due() == 0
    smtp_server.refuse = False
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert emails.email_send_due(now=later) == 3
    assert emails.email_send_due(now=later + HOUR) == 0
    assert len(smtp_server.received) == 3
    assert {r.status_label for r in Notification.objects.select_related("email")} == {"envoyé"}


@pytest.mark.django_db
def test_the_log_is_only_on_the_groceries_own_distribution_page(check_tenancy, shop):
    distribution = make_distribution(shop=shop)
    check_tenancy(
        reverse("distributions:detail", kwargs={"shop_slug": shop.slug, "pk": distribution.pk})
    )


def test_the_pickup_reminders_show_each_ones_slot_in_a_fixed_number_of_queries(shop):
    distribution = make_distribution(
        shop=shop, state="closed", starts_at=timezone.now() + 20 * HOUR
    )
    early = make_slot(distribution=distribution, capacity=5)
    late = make_slot(distribution=distribution, start=HOUR, capacity=5)
    rice = make_product(shop=shop, name="Riz")
    people = beneficiaries(shop, 4)
    for n, person in enumerate(people):
        order = make_order(membership=person.membership, distribution=distribution, lines={rice: 1})
        order.slot = early if n % 2 else late
        order.save()
    with CaptureQueriesContext(connection) as queries:
        assert pickup_remind(distribution=distribution) == 4
    assert len(queries) < 15
    by_person = {m.to[0]: m.body for m in sent_emails()}
    first = people[1].membership.user.email
    assert f"Créneau : {early}" in by_person[first]


def test_the_log_rows_and_their_emails_are_written_together_or_not_at_all(shop, monkeypatch):
    distribution = make_distribution(shop=shop)
    beneficiaries(shop, 3)

    def dies(*args, **kwargs):
        raise RuntimeError("the worker died while writing the log")

    monkeypatch.setattr(Notification.objects, "bulk_create", dies)
    with pytest.raises(RuntimeError):
        orders_open_notify(distribution=distribution)
    assert not OutgoingEmail.objects.exists() and not Notification.objects.exists()
    monkeypatch.undo()
    assert orders_open_notify(distribution=distribution) == 3
    assert len(sent_emails()) == 3


def test_with_the_queue_down_opening_succeeds_and_the_sweep_sends_the_emails(
    shop, manager, queue_down, django_capture_on_commit_callbacks
):
    distribution = make_distribution(shop=shop, state="upcoming")
    beneficiaries(shop, 2)
    with django_capture_on_commit_callbacks(execute=True):
        distribution_open_now(distribution=distribution, user=manager)
    assert not Notification.objects.exists()  # its task could not be queued
    assert notifications_due() == 2
    assert len(sent_emails()) == 2
