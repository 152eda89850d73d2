"""The one e-mail module: after the commit, from the worker, never a 500, never lost."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from epiclic import emails
from epiclic.models import EmailStatus, OutgoingEmail
from escarcelle.sales.alerts import sales_alert_stuck
from escarcelle.sales.models import SaleOutbox, SaleStatus
from shops.models import BeneficiaryProfile
from tests.factories import make_beneficiary, make_distribution, make_order, make_shop

FORM = {
    "email": "nadia.roux@example.org",
    "first_name": "Nadia",
    "last_name": "Roux",
    "card_number": "C-42",
    "household_size": "4",
    "participation_rate": "30",
    "monthly_budget": "120,50",
    "access_valid_until": "2030-06-30",
    "active": "on",
}


def _queue(shop, *, to="contact@example.org"):
    return emails.email_queue(
        name="stock_sync_recovered",
        to=[to],
        shop_id=shop.pk,
        context={"shop": shop, "url": "http://example.org/stocks/"},
    )


def later(minutes: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def test_an_email_leaves_only_after_the_commit_with_text_and_html(
    shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(shop)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["contact@example.org"]
    assert sent.subject == (
        "Epiclic : la synchronisation des stocks avec Escarcelle fonctionne à nouveau"
    )
    assert shop.name in sent.body
    assert sent.alternatives[0][1] == "text/html"
    assert "http://example.org/stocks/" in sent.alternatives[0][0]
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.body_text == "" and email.body_html == ""


def test_a_rolled_back_decision_sends_nothing(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _queue(shop)
            raise RuntimeError
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exists()


def test_a_refusing_smtp_server_is_recorded_and_the_email_goes_when_it_accepts(
    shop, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.refuse = True
    with django_capture_on_commit_callbacks(execute=True):
        email = _queue(shop)
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert email.attempts == 1
    assert "451" in email.last_error
    assert smtp_server.received == []
    assert emails.email_send_due() == 0, "not before its back-off"
    smtp_server.refuse = False
    assert emails.email_send_due(now=later(5)) == 1
    assert [m["To"] for m in smtp_server.received] == ["contact@example.org"]
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT


def test_after_the_last_attempt_the_email_is_failed_and_the_log_holds_no_body(
    shop, smtp_down, caplog
):
    email = _queue(shop)
    caplog.set_level(logging.WARNING, logger="epiclic.emails")
    for attempt in range(emails.MAX_ATTEMPTS):
        emails.email_send(pk=email.pk, now=later(120 * attempt))
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == emails.MAX_ATTEMPTS
    assert email.last_error
    assert "giving up" in caplog.text
    assert "http://example.org/stocks/" not in caplog.text
    assert emails.email_send_due(now=later(10_000)) == 0


def test_two_senders_never_send_the_same_email_twice(shop, smtp_server):
    email = _queue(shop)
    assert emails.email_send(pk=email.pk) is True
    assert emails.email_send(pk=email.pk) is False
    assert emails.email_send_due(now=later(10)) == 0
    assert len(smtp_server.received) == 1


# --- The two confirmed bugs ------------------------------------------------------------------


def test_adding_a_beneficiary_with_the_smtp_server_down_saves_and_answers_normally(
    manager_client, shop, smtp_down, django_capture_on_commit_callbacks
):
    """It answered HTTP 500 although the beneficiary was saved."""
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("shops:beneficiary_create", kwargs={"shop_slug": shop.slug}), FORM
        )
    assert response.status_code == 302
    assert BeneficiaryProfile.objects.filter(
        membership__shop=shop, membership__user__email="nadia.roux@example.org"
    ).exists()
    invitation = OutgoingEmail.objects.get(kind="beneficiary_invite")
    assert invitation.to == ["nadia.roux@example.org"]
    assert invitation.status == EmailStatus.PENDING
    assert invitation.attempts == 1
    assert invitation.shop_id == shop.pk


def test_the_stuck_sales_alert_survives_a_refusing_smtp_server_for_every_shop(
    shop, smtp_server, django_capture_on_commit_callbacks
):
    """``alerted_at`` was set before ``send_mail``: an SMTP error lost the alert for good and
    stopped the loop for the shops after it."""
    other = make_shop(name="Épicerie du Port", contact_email="port@example.org")
    old = timezone.now() - datetime.timedelta(hours=2)
    for owner in (shop, other):
        distribution = make_distribution(shop=owner, state="validated")
        order = make_order(
            membership=make_beneficiary(shop=owner).membership, distribution=distribution, lines={}
        )
        SaleOutbox.objects.create(
            shop=owner,
            distribution=distribution,
            order=order,
            idempotency_key=f"k-{owner.pk}",
            payload={},
            status=SaleStatus.PENDING,
        )
    SaleOutbox.objects.update(created_at=old)
    smtp_server.refuse = True
    with django_capture_on_commit_callbacks(execute=True):
        assert sales_alert_stuck() == 2
    assert smtp_server.received == []
    assert OutgoingEmail.objects.filter(kind="sales_stuck", status=EmailStatus.PENDING).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert sales_alert_stuck() == 0, "one alert per stuck sale, never two"
    smtp_server.refuse = False
    assert emails.email_send_due(now=later(5)) == 2
    assert sorted(m["To"] for m in smtp_server.received) == sorted(
        [shop.contact_email, "port@example.org"]
    )
