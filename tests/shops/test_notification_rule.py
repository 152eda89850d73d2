"""The one opt-out rule of the e-mails to beneficiaries (shops.notifications)."""

from __future__ import annotations

from shops.models import Membership, NotificationKind, Shop
from shops.notifications import notification_wanted, person_notifications_off

OPEN = NotificationKind.ORDERS_OPEN
PICKUP = NotificationKind.PICKUP_REMINDER


def person(*, shop_off: list[str], own_off: list[str]) -> Membership:
    return Membership(shop=Shop(notifications_off=shop_off), notifications_off=own_off)


def test_a_kind_nobody_switched_off_is_wanted():
    membership = person(shop_off=[], own_off=[])
    assert notification_wanted(membership.shop, membership, OPEN)


def test_the_person_switching_a_kind_off_stops_that_kind_only():
    membership = person(shop_off=[], own_off=[OPEN])
    assert not notification_wanted(membership.shop, membership, OPEN)
    assert notification_wanted(membership.shop, membership, PICKUP)


def test_the_grocery_switching_a_kind_off_wins_over_a_person_who_keeps_it_on():
    membership = person(shop_off=[OPEN], own_off=[])
    assert not notification_wanted(membership.shop, membership, OPEN)
    assert notification_wanted(membership.shop, membership, PICKUP)


def test_without_a_person_only_the_grocery_s_switch_counts():
    membership = person(shop_off=[PICKUP], own_off=[OPEN])
    assert notification_wanted(membership.shop, None, OPEN)
    assert not notification_wanted(membership.shop, None, PICKUP)


def test_saving_the_boxes_switches_off_the_unticked_kinds_and_keeps_the_choice_the_grocery_hides():
    membership = person(shop_off=[PICKUP], own_off=[PICKUP])
    ticked = [k for k in NotificationKind.values if k not in (OPEN, PICKUP)]
    # The pick-up box was disabled (not sent): the person's own "off" stays for when the
    # grocery switches the kind back on.
    assert person_notifications_off(membership, ticked=ticked) == [OPEN, PICKUP]
    membership.notifications_off = []
    assert person_notifications_off(membership, ticked=ticked) == [OPEN]
