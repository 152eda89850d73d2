"""The one opt-out rule of the e-mails to beneficiaries (``NotificationKind``).

A kind of e-mail reaches a person unless the grocery switched it off (*Paramètres*,
``Shop.notifications_off``) or the person did (*Mon compte*, or the one-click link of an
e-mail: ``Membership.notifications_off``). The grocery's switch wins whatever the person chose,
and the person's choice is kept while the grocery's switch is off, so that it holds again when
the grocery switches the kind back on. A copy sent to the grocery's contact about a person obeys
the grocery's switch only.

It lives in ``shops``, below every app, so that the senders (``notifications``) and *Mon compte*
(``distributions``) read the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from shops.models import Membership, NotificationKind, Shop


def grocery_sends(shop: Shop, kind: str) -> bool:
    """The grocery has not switched ``kind`` off in *Paramètres*."""
    return kind not in (shop.notifications_off or [])


def person_wants(membership: Membership, kind: str) -> bool:
    """The person has not switched ``kind`` off (whatever the grocery did)."""
    return kind not in (membership.notifications_off or [])


def notification_wanted(shop: Shop, membership: Membership | None, kind: str) -> bool:
    """The rule: ``kind`` goes to ``membership``'s person, or, with ``None``, goes out of
    ``shop`` at all (the contact's copy, or before reading who would get it)."""
    if not grocery_sends(shop, kind):
        return False
    return membership is None or person_wants(membership, kind)


def person_notifications_off(membership: Membership, *, ticked: Iterable[str]) -> list[str]:
    """The person's opt-outs once *Mon compte*'s boxes are saved: an unticked kind is off; a
    kind the grocery switched off keeps the person's own choice (its box is shown disabled, and
    a disabled box is not sent)."""
    on = set(ticked)
    off = []
    for kind in NotificationKind.values:
        wanted = (
            kind in on if grocery_sends(membership.shop, kind) else person_wants(membership, kind)
        )
        if not wanted:
            off.append(kind)
    return off
