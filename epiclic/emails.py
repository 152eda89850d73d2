"""The one e-mail module: every e-mail Epiclic sends goes through ``email_queue``.

- Subject and bodies come from templates: ``emails/<name>_subject.txt``, ``emails/<name>.txt``
  and, when it exists, ``emails/<name>.html``, rendered in French unless told otherwise.
- ``email_queue`` writes an ``OutgoingEmail`` row in the caller's transaction and sends it from
  the task worker after the commit. A rolled-back decision sends nothing; a committed one is
  never lost: if the task is lost or the SMTP server fails, the row stays ``pending`` and the
  periodic ``email_send_due`` sends it again with back-off.
- ``headers`` adds message headers (a notification's ``List-Unsubscribe``), kept on the row
  until it is sent.
- One failure policy: a failure is logged (kind and row id, never the body) and recorded on the
  row (``attempts``, ``last_error``); after ``MAX_ATTEMPTS`` the row is ``failed``. Sending never
  raises into a request or a service.

Django's own password-reset e-mail stays Django's (``PasswordResetView``).
"""

from __future__ import annotations

import datetime
import itertools
import logging
import smtplib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from epiclic import queue
from epiclic.models import EmailStatus, OutgoingEmail

log = logging.getLogger("epiclic.emails")

MAX_ATTEMPTS = 6
LEASE = datetime.timedelta(minutes=5)
BATCH = 100

# Set by epiclic.tasks: how a queued e-mail (or a batch of them) reaches the worker after the
# commit.
_enqueue: Callable[[int], Any] | None = None
_enqueue_batch: Callable[[list[int]], Any] | None = None


def set_enqueue(
    enqueue: Callable[[int], Any], enqueue_batch: Callable[[list[int]], Any] | None = None
) -> None:
    global _enqueue, _enqueue_batch
    _enqueue = enqueue
    _enqueue_batch = enqueue_batch


def site_url(path: str = "") -> str:
    """An absolute link for an e-mail (``SITE_URL`` + path)."""
    return settings.SITE_URL.rstrip("/") + path


def render(name: str, context: Mapping[str, Any], *, language: str = "fr") -> tuple[str, str, str]:
    """Subject (one line), text body and HTML body (empty when there is no HTML template)."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html: str = ""
        try:
            html = render_to_string(f"emails/{name}.html", context)
        except TemplateDoesNotExist:
            pass
    return subject, text, html


def email_queue(
    *,
    name: str,
    to: Iterable[str],
    context: Mapping[str, Any],
    shop_id: int | None = None,
    language: str = "fr",
    headers: Mapping[str, str] | None = None,
) -> OutgoingEmail | None:
    """Record an e-mail and send it once the current transaction commits.

    Returns ``None`` (and records nothing) when there is no recipient.
    """
    recipients = [address for address in to if address]
    if not recipients:
        log.warning("e-mail %s for shop %s has no recipient: not sent", name, shop_id)
        return None
    subject, text, html = render(name, context, language=language)
    email = OutgoingEmail.objects.create(
        kind=name,
        shop_id=shop_id,
        to=recipients,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=dict(headers or {}),
    )
    if _enqueue is not None:
        enqueue, pk = _enqueue, email.pk
        transaction.on_commit(lambda: _safe_enqueue(enqueue, pk))
    return email


def _safe_enqueue(send: Callable[[Any], Any], pk: int | list[int]) -> None:
    # The queue may be unreachable (Redis down): the periodic sweep sends the row later.
    queue.enqueue(send, pk)


@dataclass(frozen=True)
class Draft:
    """One e-mail of a batch given to ``email_queue_many`` (same fields as ``email_queue``)."""

    name: str
    to: Sequence[str]
    context: Mapping[str, Any]
    shop_id: int | None = None
    language: str = "fr"
    headers: Mapping[str, str] | None = None


def email_queue_many(drafts: Sequence[Draft]) -> list[OutgoingEmail | None]:
    """``email_queue`` for many e-mails at once (a notification to every beneficiary): the rows
    are written with one bulk insert per ``BATCH`` and, after the commit, each ``BATCH`` is
    sent by one task over one SMTP connection. ``None`` where a draft has no recipient."""
    rows: list[OutgoingEmail] = []
    answer: list[OutgoingEmail | None] = []
    for draft in drafts:
        recipients = [address for address in draft.to if address]
        if not recipients:
            answer.append(None)
            continue
        subject, text, html = render(draft.name, draft.context, language=draft.language)
        row = OutgoingEmail(
            kind=draft.name,
            shop_id=draft.shop_id,
            to=recipients,
            subject=subject,
            body_text=text,
            body_html=html,
            headers=dict(draft.headers or {}),
        )
        rows.append(row)
        answer.append(row)
    OutgoingEmail.objects.bulk_create(rows, batch_size=BATCH)
    if _enqueue_batch is not None:
        enqueue = _enqueue_batch
        pks = [row.pk for row in rows]
        for start in range(0, len(pks), BATCH):
            chunk = pks[start : start + BATCH]
            transaction.on_commit(lambda chunk=chunk: _safe_enqueue(enqueue, chunk))  # type: ignore[misc]
    return answer


def _due(now: datetime.datetime) -> Q:
    return Q(status=EmailStatus.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def email_send(*, pk: int, now: datetime.datetime | None = None) -> bool:
    """Send one recorded e-mail if it is due and no other worker holds it. True if sent."""
    return email_send_batch(pks=[pk], now=now) == 1


def email_send_batch(*, pks: Sequence[int], now: datetime.datetime | None = None) -> int:
    """Send the recorded e-mails ``pks`` that are due and that no other worker holds, over one
    SMTP connection. Each is marked sent (or failed, for a retry) as soon as it is tried, so a
    worker dying half-way resends nothing already sent. Returns how many were sent."""
    clock = now or timezone.now()
    # The lease's exact instant tells this worker's rows from another's.
    lease = clock + LEASE + datetime.timedelta(microseconds=_claims.__next__() % 1000)
    claimed = OutgoingEmail.objects.filter(_due(clock), pk__in=list(pks)).update(
        claimed_until=lease
    )
    if not claimed:
        return 0
    emails = list(
        OutgoingEmail.objects.filter(pk__in=list(pks), claimed_until=lease).order_by("pk")
    )
    sent = 0
    connection = get_connection(fail_silently=False)
    try:
        unreachable: Exception | None = None
        for email in emails:
            if unreachable is not None:
                # The server is down or hangs: the rest waits for its retry without a try each.
                _record_failure(email, unreachable, clock)
                continue
            try:
                _message(email, connection).send(fail_silently=False)
            except Exception as exc:  # any transport failure: record it, retry later
                _record_failure(email, exc, clock)
                if isinstance(exc, UNREACHABLE):
                    unreachable = exc
                continue
            OutgoingEmail.objects.filter(pk=email.pk).update(
                status=EmailStatus.SENT,
                sent_at=timezone.now(),
                attempts=email.attempts + 1,
                claimed_until=None,
                last_error="",
                body_text="",
                body_html="",
                headers={},
            )
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # a connection that never opened, or already broken
            log.debug("SMTP connection not closed cleanly")
    return sent


_claims = itertools.count()
UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
)


def _message(email: OutgoingEmail, connection: Any) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=None,
        to=list(email.to),
        connection=connection,
        headers=dict(email.headers or {}),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def _record_failure(email: OutgoingEmail, exc: Exception, clock: datetime.datetime) -> None:
    attempts = email.attempts + 1
    failed = attempts >= MAX_ATTEMPTS
    reason = f"{type(exc).__name__}: {exc}"[:1000]
    log.warning(
        "e-mail %s (%s, shop %s) not sent, attempt %s%s: %s",
        email.pk,
        email.kind,
        email.shop_id,
        attempts,
        " — giving up" if failed else "",
        type(exc).__name__,
    )
    OutgoingEmail.objects.filter(pk=email.pk).update(
        attempts=attempts,
        last_error=reason,
        status=EmailStatus.FAILED if failed else EmailStatus.PENDING,
        next_attempt_at=clock + _backoff(attempts),
        claimed_until=None,
    )


def email_send_due(*, now: datetime.datetime | None = None, budget_s: float = 45) -> int:
    """Send every e-mail that is due (lost task, earlier failure), ``BATCH`` at a time for at
    most about ``budget_s`` seconds (a backlog after an SMTP outage drains in a few runs, not
    at 100 a minute). Returns how many went. Each batch tried leaves its rows sent or not due
    (claimed, or retried later), so the loop ends."""
    clock = now or timezone.now()
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < budget_s:
        pks = list(
            OutgoingEmail.objects.filter(_due(clock))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not pks:
            break
        sent += email_send_batch(pks=pks, now=clock)
    return sent


def email_purge(*, now: datetime.datetime | None = None, days: int = 90) -> int:
    """Forget sent e-mails older than ``days`` (failed ones stay until someone looks)."""
    clock = now or timezone.now()
    deleted, _ = OutgoingEmail.objects.filter(
        status=EmailStatus.SENT, created_at__lt=clock - datetime.timedelta(days=days)
    ).delete()
    return deleted
