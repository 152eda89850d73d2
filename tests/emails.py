"""Tests' view of the e-mail module: what the worker would have sent by now."""

from __future__ import annotations

from django.core import mail
from django.core.mail import EmailMessage

from epiclic import emails


def sent_emails() -> list[EmailMessage]:
    """Run the worker's sweep (e-mails wait for a commit that a test's transaction never
    makes), then return everything sent so far (Django's locmem outbox)."""
    emails.email_send_due()
    return mail.outbox
