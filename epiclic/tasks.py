"""Huey tasks of the e-mail module: thin wrappers around ``epiclic.emails``."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from epiclic import emails


@db_task()
def email_send_task(pk: int) -> None:
    emails.email_send(pk=pk)


@db_task()
def email_send_batch_task(pks: list[int]) -> None:
    emails.email_send_batch(pks=pks)


@db_periodic_task(crontab(minute="*"))
def email_send_due_task() -> None:
    emails.email_send_due()


@db_periodic_task(crontab(minute="17", hour="3"))
def email_purge_task() -> None:
    emails.email_purge()


@db_periodic_task(crontab(minute="29", hour="3"))
def sessions_clear_task() -> None:
    """Forget expired sessions (Django's ``clearsessions``), so the table does not grow."""
    call_command("clearsessions")


emails.set_enqueue(email_send_task, email_send_batch_task)
