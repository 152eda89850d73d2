"""Notifications to beneficiaries: who gets which e-mail, once per person and event.

Every notification goes through ``_notify``: it keeps the people who want it
(``shops.notifications.notification_wanted``, the one opt-out rule), leaves out those the
sent-log already holds for this kind and event, and writes the log rows and their e-mails
(``epiclic.emails.email_queue_many``) in one transaction. The unique key of ``Notification``
makes a second run, a concurrent run or a run after a worker died send nothing twice.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from distributions.models import Distribution, Order, OrderStatus
from epiclic.emails import Draft, email_queue_many, site_url
from notifications.models import NO_ADDRESS, Notification
from shops.models import BeneficiaryProfile, Membership, NotificationKind, Role, Shop
from shops.notifications import notification_wanted

log = logging.getLogger("notifications")

OPTOUT_SALT = "notifications.optout"
# RFC 8058: the body a mail client POSTs to the List-Unsubscribe link.
ONE_CLICK = "List-Unsubscribe=One-Click"
# A distribution opened longer ago than this is not announced any more (a first deployment,
# a worker stopped for days): the beneficiaries found it open by themselves.
OPEN_ANNOUNCE_WITHIN = datetime.timedelta(hours=24)
PICKUP_REMINDER_BEFORE = datetime.timedelta(hours=24)
# The longest reminder delay a grocery may set (shops' settings form refuses more).
REMINDER_HOURS_MAX = 14 * 24
ZERO = Decimal("0")


def optout_token(membership: Membership, kind: str) -> str:
    return signing.dumps([membership.pk, kind], salt=OPTOUT_SALT, compress=False)


def optout_read(token: str) -> tuple[int, str] | None:
    """(membership id, kind) of a one-click opt-out link; None when forged or garbled."""
    try:
        pk, kind = signing.loads(token, salt=OPTOUT_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if kind not in NotificationKind.values or not isinstance(pk, int):
        return None
    return pk, kind


def optout_url(membership: Membership, kind: str) -> str:
    return site_url(reverse("notifications:optout", args=[optout_token(membership, kind)]))


def notification_switch_off(*, membership: Membership, kind: str) -> Membership:
    """The person no longer wants ``kind`` (the one-click link, or *Mon compte*)."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        off = list(membership.notifications_off or [])
        if kind not in off:
            membership.notifications_off = [*off, kind]
            membership.save(update_fields=["notifications_off"])
    return membership


@dataclass(frozen=True)
class Recipient:
    """One person to notify; ``address`` may be another than the person's (the grocery's
    contact about the person), and empty (then logged as not notified)."""

    membership: Membership
    address: str
    name: str
    context: Mapping[str, Any] = field(default_factory=dict)
    personal: bool = True  # False: the person's own opt-out does not apply (grocery's copy)


def person_name(membership: Membership) -> str:
    """The name the grocery knows the person by (reads ``beneficiary`` and ``user``)."""
    profile = getattr(membership, "beneficiary", None)
    if isinstance(profile, BeneficiaryProfile) and profile.shown_name:
        return profile.shown_name
    return membership.user.get_full_name()


def _notify(
    *,
    shop: Shop,
    kind: str,
    event_key: str,
    template: str,
    recipients: Iterable[Recipient],
    context: Mapping[str, Any],
    distribution: Distribution | None = None,
) -> int:
    """Log and queue ``template`` to each recipient not yet notified of this event; how many
    rows were written. A fixed number of queries whatever the number of recipients (up to
    ``epiclic.emails.BATCH`` per insert).

    ``recipients`` is read only when the grocery sends ``kind`` at all: callers pass it lazily
    (``_each`` over a queryset), so a kind switched off costs no query."""
    if not notification_wanted(shop, None, kind):
        return 0
    wanted = [
        r
        for r in recipients
        if notification_wanted(shop, r.membership if r.personal else None, kind)
    ]
    if not wanted:
        return 0
    for attempt in (1, 2):
        try:
            return _notify_once(
                shop=shop,
                kind=kind,
                event_key=event_key,
                template=template,
                wanted=wanted,
                context=context,
                distribution=distribution,
            )
        except IntegrityError:
            # Another run wrote some of the same rows meanwhile (PostgreSQL): read them again.
            if attempt == 2 or transaction.get_connection().in_atomic_block:
                raise
    return 0  # pragma: no cover - the loop returns or raises


def _notify_once(
    *,
    shop: Shop,
    kind: str,
    event_key: str,
    template: str,
    wanted: list[Recipient],
    context: Mapping[str, Any],
    distribution: Distribution | None,
) -> int:
    with transaction.atomic():
        done = set(
            Notification.objects.filter(kind=kind, event_key=event_key).values_list(
                "membership_id", flat=True
            )
        )
        todo = [r for r in wanted if r.membership.pk not in done]
        if not todo:
            return 0
        drafts = [_draft(shop, kind, template, r, context, distribution) for r in todo]
        emails = email_queue_many(drafts)
        Notification.objects.bulk_create(
            [
                Notification(
                    shop=shop,
                    membership=r.membership,
                    distribution=distribution,
                    kind=kind,
                    event_key=event_key,
                    email=email,
                    skipped_reason="" if email is not None else str(NO_ADDRESS),
                )
                for r, email in zip(todo, emails, strict=True)
            ],
            batch_size=500,
        )
    return len(todo)


def _draft(
    shop: Shop,
    kind: str,
    template: str,
    r: Recipient,
    context: Mapping[str, Any],
    distribution: Distribution | None,
) -> Draft:
    unsubscribe = optout_url(r.membership, kind) if r.personal else ""
    return Draft(
        name=template,
        to=[r.address],
        context={
            "shop": shop,
            "distribution": distribution,
            **context,
            **r.context,
            "name": r.name,
            "optout_url": unsubscribe,
        },
        shop_id=shop.pk,
        headers=unsubscribe_headers(unsubscribe) if unsubscribe else None,
    )


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369's ``List-Unsubscribe`` with RFC 8058's one-click POST: a mail client shows an
    unsubscribe button that POSTs ``List-Unsubscribe=One-Click`` to the same link."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}


# --- around a distribution ----------------------------------------------------------------


def _beneficiaries(shop: Shop, on: datetime.date) -> QuerySet[BeneficiaryProfile]:
    """Active beneficiaries of ``shop`` whose access covers the day ``on`` (one query)."""
    return (
        BeneficiaryProfile.objects.filter(
            shop=shop,
            active=True,
            membership__pending=False,
            membership__role=Role.BENEFICIARY,
        )
        .filter(Q(access_valid_until__isnull=True) | Q(access_valid_until__gte=on))
        .select_related("membership__user")
        .order_by("pk")
    )


def _pickup_day(distribution: Distribution) -> datetime.date:
    return timezone.localtime(distribution.starts_at, distribution.shop.tzinfo).date()


def _order_url(distribution: Distribution) -> str:
    return site_url(
        reverse(
            "distributions:order_distribution",
            kwargs={"shop_slug": distribution.shop.slug, "pk": distribution.pk},
        )
    )


def _profile_recipient(profile: BeneficiaryProfile, **context: Any) -> Recipient:
    membership = profile.membership
    membership.beneficiary = profile  # shown_name without another query
    return Recipient(
        membership=membership,
        address=membership.user.email,
        name=profile.shown_name,
        context=context,
    )


def _each(rows: Iterable[Any], recipient: Callable[[Any], Recipient]) -> Iterator[Recipient]:
    """A recipient per row, the rows read only once ``_notify`` asks (a generator function:
    a generator expression would run a queryset's query at once)."""
    for row in rows:
        yield recipient(row)


def orders_open_notify(*, distribution: Distribution) -> int:
    """Orders are open: every active beneficiary whose access covers the pick-up day."""
    shop = distribution.shop
    profiles = _beneficiaries(shop, _pickup_day(distribution))
    return _notify(
        shop=shop,
        kind=NotificationKind.ORDERS_OPEN,
        event_key=f"distribution:{distribution.pk}:open",
        template="notify_orders_open",
        recipients=_each(profiles, _profile_recipient),
        context={"order_url": _order_url(distribution)},
        distribution=distribution,
    )


def orders_closing_remind(*, distribution: Distribution) -> int:
    """Orders close soon: those of the beneficiaries above who have not ordered."""
    shop = distribution.shop
    ordered = Order.objects.filter(distribution=distribution, status=OrderStatus.CONFIRMED).values(
        "membership_id"
    )
    profiles = _beneficiaries(shop, _pickup_day(distribution)).exclude(membership_id__in=ordered)
    return _notify(
        shop=shop,
        kind=NotificationKind.ORDERS_CLOSING,
        event_key=f"distribution:{distribution.pk}:closing",
        template="notify_orders_closing",
        recipients=_each(profiles, _profile_recipient),
        context={"order_url": _order_url(distribution)},
        distribution=distribution,
    )


def _orders(distribution: Distribution, **filters: Any) -> QuerySet[Order]:
    return (
        Order.objects.filter(distribution=distribution, **filters)
        .select_related("membership__user", "membership__beneficiary", "slot__distribution__shop")
        .prefetch_related("lines__product")
        .order_by("pk")
    )


def _order_recipient(order: Order, **context: Any) -> Recipient:
    return Recipient(
        membership=order.membership,
        address=order.membership.user.email,
        name=person_name(order.membership),
        context={"order": order, "lines": list(order.lines.all()), **context},
    )


def order_changed_notify(*, order: Order, change: str) -> int:
    """The order was confirmed, changed or cancelled: its lines, amount, place and time.

    The event key carries the order's ``updated_at``: each change is one e-mail."""
    order = _orders(order.distribution, pk=order.pk).select_related("distribution__shop").get()
    distribution = order.distribution
    return _notify(
        shop=distribution.shop,
        kind=NotificationKind.ORDER_CHANGED,
        event_key=f"order:{order.pk}:{change}:{order.updated_at.isoformat()}",
        template="notify_order_changed",
        recipients=[_order_recipient(order, change=change, total=order.total)],
        context={"my_orders_url": _my_orders_url(distribution)},
        distribution=distribution,
    )


def _my_orders_url(distribution: Distribution) -> str:
    return site_url(
        reverse("distributions:my_orders", kwargs={"shop_slug": distribution.shop.slug})
    )


def pickup_remind(*, distribution: Distribution) -> int:
    """The day before the pick-up: those with a confirmed order."""
    shop = distribution.shop
    orders = _orders(distribution, status=OrderStatus.CONFIRMED)
    return _notify(
        shop=shop,
        kind=NotificationKind.PICKUP_REMINDER,
        event_key=f"distribution:{distribution.pk}:pickup",
        template="notify_pickup_reminder",
        recipients=_each(orders, lambda o: _order_recipient(o, total=o.total)),
        context={},
        distribution=distribution,
    )


def after_validation_notify(*, distribution: Distribution) -> int:
    """After the validation: what was missing or handed over short, to those concerned."""
    return _notify(
        shop=distribution.shop,
        kind=NotificationKind.AFTER_VALIDATION,
        event_key=f"distribution:{distribution.pk}:validated",
        template="notify_after_validation",
        recipients=_short_orders(distribution),
        context={},
        distribution=distribution,
    )


def _short_orders(distribution: Distribution) -> Iterator[Recipient]:
    for order in _orders(distribution, status=OrderStatus.DELIVERED):
        short = [
            line
            for line in order.lines.all()
            if line.delivered_quantity is not None and line.delivered_quantity < line.quantity
        ]
        if short:
            yield _order_recipient(order, short=short, total=order.total)


# --- access ending ------------------------------------------------------------------------


def access_ending_notify(*, shop: Shop, today: datetime.date | None = None) -> int:
    """Beneficiaries whose access ends within ``shop.access_ending_days``: the person and the
    grocery's contact, once per end date (an extended access is told again before its end)."""
    if not shop.access_ending_days:
        return 0
    today = today or timezone.localdate(timezone=shop.tzinfo)
    profiles = list(
        BeneficiaryProfile.objects.filter(
            shop=shop,
            active=True,
            membership__pending=False,
            access_valid_until__gte=today,
            access_valid_until__lte=today + datetime.timedelta(days=shop.access_ending_days),
        )
        .select_related("membership__user")
        .order_by("access_valid_until", "pk")
    )
    written = 0
    for until in sorted({p.access_valid_until for p in profiles if p.access_valid_until}):
        ending = [p for p in profiles if p.access_valid_until == until]
        written += _notify(
            shop=shop,
            kind=NotificationKind.ACCESS_ENDING,
            event_key=f"access:{until.isoformat()}",
            template="notify_access_ending",
            recipients=[_profile_recipient(p) for p in ending],
            context={"until": until},
        )
        written += _notify(
            shop=shop,
            kind=NotificationKind.ACCESS_ENDING,
            event_key=f"access:{until.isoformat()}:contact",
            template="notify_access_ending_contact",
            recipients=[
                Recipient(
                    membership=p.membership,
                    address=shop.contact_email,
                    name=p.shown_name,
                    context={"profile": p},
                    personal=False,
                )
                for p in ending
            ],
            context={"until": until},
        )
    return written


# --- the periodic sweeps ------------------------------------------------------------------


def closing_reminder_at(
    *, opens: datetime.datetime, closes: datetime.datetime, hours: int
) -> datetime.datetime:
    """When "orders close soon" is due: ``hours`` before closing, but not in the first half of
    the ordering window, so that a window shorter than the delay does not get the reminder
    together with "orders open"."""
    return max(closes - datetime.timedelta(hours=hours), opens + (closes - opens) / 2)


def notifications_due(*, now: datetime.datetime | None = None) -> int:
    """Every notification whose time has come (every few minutes): orders opened by their
    date, reminders before closing, pick-up reminders. Safe to run twice."""
    now = now or timezone.now()
    written = 0
    live = Distribution.objects.filter(
        validated_at__isnull=True, shop__suspended_at__isnull=True
    ).select_related("shop")
    for distribution in live.filter(
        orders_open_at__lte=now,
        orders_open_at__gt=now - OPEN_ANNOUNCE_WITHIN,
        orders_close_at__gt=now,
    ):
        written += orders_open_notify(distribution=distribution)
    # closing_reminder_at is never earlier than close - reminder_hours, so a distribution
    # whose reminder is due closes within REMINDER_HOURS_MAX.
    for distribution in live.filter(
        orders_open_at__lte=now,
        orders_close_at__gt=now,
        orders_close_at__lte=now + datetime.timedelta(hours=REMINDER_HOURS_MAX),
    ):
        hours = distribution.shop.reminder_hours
        if hours and now >= closing_reminder_at(
            opens=distribution.orders_open_at, closes=distribution.orders_close_at, hours=hours
        ):
            written += orders_closing_remind(distribution=distribution)
    for distribution in live.filter(starts_at__gt=now, starts_at__lte=now + PICKUP_REMINDER_BEFORE):
        written += pickup_remind(distribution=distribution)
    return written


def access_ending_due(*, today: datetime.date | None = None) -> int:
    """Daily: ``access_ending_notify`` for every grocery not suspended."""
    return sum(
        access_ending_notify(shop=shop, today=today)
        for shop in Shop.objects.filter(suspended_at__isnull=True).order_by("pk")
    )
