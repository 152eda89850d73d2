"""Once per person and event when a worker is killed: a subprocess runs the periodic sweep and
dies with SIGKILL right after its first e-mail left; the task run again and the e-mail sweep
leave each beneficiary with exactly one e-mail."""

from __future__ import annotations

import datetime
import signal
import subprocess
import sys
import textwrap
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from epiclic import emails
from epiclic.models import EmailStatus, OutgoingEmail
from notifications.models import Notification
from notifications.services import notifications_due
from tests.factories import make_distribution
from tests.notifications.helpers import beneficiaries

WORKER = textwrap.dedent(
    """
    import os, signal, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "epiclic.settings_test"
    from django.conf import settings
    settings.DATABASES["default"]["NAME"] = sys.argv[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = int(sys.argv[2])
    settings.EMAIL_USE_TLS = False
    import django
    django.setup()
    from epiclic import emails
    from notifications.services import notifications_due
    message = emails._message
    calls = []
    def die_on_the_second(email, connection):
        # The first e-mail went and was marked sent; the worker dies before the second.
        calls.append(email.pk)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return message(email, connection)
    emails._message = die_on_the_second
    notifications_due()  # huey runs immediately here: the batch is sent after the commit
    """
)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_its_first_email_leaves_each_person_exactly_one(shop, smtp_server):
    make_distribution(shop=shop, orders_open_at=timezone.now() - datetime.timedelta(hours=1))
    people = beneficiaries(shop, 5)
    worker = subprocess.run(
        [sys.executable, "-c", WORKER, connection.settings_dict["NAME"], str(settings.EMAIL_PORT)],
        cwd=settings.BASE_DIR,
        timeout=120,
    )
    assert worker.returncode == -signal.SIGKILL
    assert len(smtp_server.received) == 1
    assert Notification.objects.count() == 5  # the log and its e-mails were committed together
    # The task runs again (the restarted worker's sweep): the log holds every person already.
    assert notifications_due() == 0
    # The dead worker's claim expires; the e-mail sweep sends the rest, once.
    later = timezone.now() + emails.LEASE + datetime.timedelta(seconds=1)
    assert emails.email_send_due(now=later) == 4
    assert emails.email_send_due(now=later + datetime.timedelta(hours=2)) == 0
    received = Counter(message["To"] for message in smtp_server.received)
    assert received == Counter({p.membership.user.email: 1 for p in people})
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
