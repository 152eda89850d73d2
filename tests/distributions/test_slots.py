"""Pick-up slots: the manager's slots and moves, the beneficiary's choice, the bag sheets."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from distributions.documents import preparation_sheets
from distributions.models import Order, OrderStatus, PickupSlot
from distributions.services import order_confirm
from distributions.slots import order_slot_move, slot_delete, slot_save
from epiclic.errors import Refusal
from tests.factories import (
    make_beneficiary,
    make_catalogue,
    make_distribution,
    make_order,
    make_product,
    make_slot,
    make_user,
)

MIN = datetime.timedelta(minutes=1)


def url(name: str, shop, **kwargs) -> str:
    return reverse(f"distributions:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


@pytest.fixture
def rice(shop):
    return make_product(shop=shop, name="Riz", stock="50")


@pytest.fixture
def distribution(shop, rice):
    # On the minute, as a slot typed in the form is.
    starts = (timezone.now() + datetime.timedelta(days=3)).replace(second=0, microsecond=0)
    return make_distribution(
        shop=shop, starts_at=starts, catalogues=[make_catalogue(shop=shop, products=[rice])]
    )


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- the manager's slots -------------------------------------------------------------------


def test_every_slot_page_is_guarded(check_tenancy, shop, distribution, beneficiary):
    slot = make_slot(distribution=distribution)
    order = make_order(
        membership=beneficiary.memberships.get(), distribution=distribution, lines={}
    )
    check_tenancy(url("slots", shop, pk=distribution.pk))
    check_tenancy(url("slot_edit", shop, pk=distribution.pk, slot_pk=slot.pk))
    check_tenancy(url("slot_delete", shop, pk=distribution.pk, slot_pk=slot.pk), method="post")
    check_tenancy(
        url("order_move", shop, pk=distribution.pk, order_pk=order.pk),
        method="post",
        data={"slot": slot.pk},
    )


def test_a_manager_adds_a_slot_from_the_slots_page(manager_client, shop, distribution):
    start = distribution.starts_at
    response = manager_client.post(
        url("slots", shop, pk=distribution.pk),
        {"starts_at": _local(start), "ends_at": _local(start + 30 * MIN), "capacity": "8"},
    )
    assert response.status_code == 302
    slot = distribution.slots.get()
    assert slot.capacity == 8 and slot.ends_at - slot.starts_at == 30 * MIN
    page = manager_client.get(url("slots", shop, pk=distribution.pk)).content.decode()
    assert "Créneaux de retrait" in page and "Commandes par créneau" in page


@pytest.mark.parametrize(
    ("capacity", "start", "end", "message"),
    [
        ("0", 0, 30, "Un créneau doit avoir au moins une place."),
        ("-3", 0, 30, "Un créneau doit avoir au moins une place."),
        ("5", 30, 10, "La fin du créneau doit être après son début."),
        ("5", -60, -30, "Le créneau doit se situer pendant la distribution"),
        ("5", 10, 40, "Ce créneau chevauche le créneau"),
    ],
)
def test_a_bad_slot_is_refused_in_french_and_not_saved(
    manager_client, shop, distribution, capacity, start, end, message
):
    make_slot(distribution=distribution, minutes=30)
    begin = distribution.starts_at
    response = manager_client.post(
        url("slots", shop, pk=distribution.pk),
        {
            "starts_at": _local(begin + start * MIN),
            "ends_at": _local(begin + end * MIN),
            "capacity": capacity,
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert distribution.slots.count() == 1


def test_a_slot_may_not_outlast_the_distribution_s_end(shop, distribution):
    distribution.ends_at = distribution.starts_at + 60 * MIN
    distribution.save()
    with pytest.raises(Refusal) as refused:
        slot_save(
            distribution=distribution,
            starts_at=distribution.starts_at + 45 * MIN,
            ends_at=distribution.starts_at + 75 * MIN,
            capacity=3,
        )
    assert refused.value.code == "slot_outside"


def test_slots_end_to_end_do_not_overlap(shop, distribution):
    first = make_slot(distribution=distribution, minutes=30)
    second = slot_save(
        distribution=distribution,
        starts_at=first.ends_at,
        ends_at=first.ends_at + 30 * MIN,
        capacity=2,
    )
    assert second.pk and distribution.slots.count() == 2


def test_a_slot_s_capacity_cannot_drop_below_its_orders(shop, distribution, rice):
    slot = make_slot(distribution=distribution, capacity=3)
    for _ in range(2):
        Order.objects.filter(
            pk=make_order(
                membership=make_beneficiary(shop=shop).membership,
                distribution=distribution,
                lines={rice: 1},
            ).pk
        ).update(slot=slot)
    with pytest.raises(Refusal) as refused:
        slot_save(
            distribution=distribution,
            slot=slot,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            capacity=1,
        )
    assert "a déjà 2 commandes" in refused.value.message


def test_a_slot_with_orders_is_not_deleted_until_they_are_moved(
    manager_client, shop, distribution, rice
):
    full = make_slot(distribution=distribution, capacity=1)
    other = make_slot(distribution=distribution, start=30 * MIN, capacity=1)
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    Order.objects.filter(pk=order.pk).update(slot=full)
    response = manager_client.post(
        url("slot_delete", shop, pk=distribution.pk, slot_pk=full.pk), follow=True
    )
    assert "déplacez-les vers un autre créneau" in response.content.decode()
    assert PickupSlot.objects.filter(pk=full.pk).exists()
    manager_client.post(
        url("order_move", shop, pk=distribution.pk, order_pk=order.pk), {"slot": other.pk}
    )
    order.refresh_from_db()
    assert order.slot == other
    slot_delete(slot=full)
    assert not PickupSlot.objects.filter(pk=full.pk).exists()


def test_moving_an_order_to_a_full_slot_is_refused_clearly(
    manager_client, shop, distribution, rice
):
    first = make_slot(distribution=distribution, capacity=1)
    second = make_slot(distribution=distribution, start=30 * MIN, capacity=1)
    a, b = (
        make_order(
            membership=make_beneficiary(shop=shop).membership,
            distribution=distribution,
            lines={rice: 1},
        )
        for _ in range(2)
    )
    Order.objects.filter(pk=a.pk).update(slot=first)
    Order.objects.filter(pk=b.pk).update(slot=second)
    response = manager_client.post(
        url("order_move", shop, pk=distribution.pk, order_pk=b.pk), {"slot": first.pk}, follow=True
    )
    assert "Ce créneau est complet, choisissez-en un autre." in response.content.decode()
    b.refresh_from_db()
    assert b.slot == second


def test_an_order_is_not_moved_to_another_distribution_s_slot(shop, distribution, rice):
    elsewhere = make_slot(distribution=make_distribution(shop=shop))
    make_slot(distribution=distribution)
    order = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    with pytest.raises(Refusal) as refused:
        order_slot_move(order=order, slot_id=elsewhere.pk)
    assert refused.value.code == "slot_unknown"


def test_the_slots_page_groups_the_orders_by_slot(manager_client, shop, distribution, rice):
    early = make_slot(distribution=distribution)
    make_slot(distribution=distribution, start=30 * MIN)
    user = make_user(first_name="Zoé", last_name="Martin")
    order = make_order(
        membership=make_beneficiary(shop=shop, user=user).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    Order.objects.filter(pk=order.pk).update(slot=early)
    page = manager_client.get(url("slots", shop, pk=distribution.pk)).content.decode()
    first_group = page.index("Commandes par créneau")
    assert page.index("Zoé Martin", first_group) < page.index("0 commande", first_group)


# --- the beneficiary's choice ----------------------------------------------------------------


def test_a_distribution_with_slots_requires_one_when_confirming(shop, distribution, rice):
    make_slot(distribution=distribution)
    member = make_beneficiary(shop=shop).membership
    with pytest.raises(Refusal) as refused:
        order_confirm(membership=member, distribution=distribution, quantities={rice.pk: 1})
    assert refused.value.message == "Choisissez un créneau de retrait."


def test_a_beneficiary_picks_a_slot_then_changes_it(
    beneficiary_client, shop, distribution, rice, beneficiary
):
    early = make_slot(distribution=distribution, capacity=2)
    late = make_slot(distribution=distribution, start=30 * MIN, capacity=2)
    beneficiary_client.post(
        url("cart", shop, pk=distribution.pk), {"product": rice.pk, "quantity": "1"}
    )
    page = beneficiary_client.get(
        url("order_distribution", shop, pk=distribution.pk)
    ).content.decode()
    assert 'name="slot"' in page and "2 places restantes" in page
    beneficiary_client.post(url("confirm", shop, pk=distribution.pk), {"slot": early.pk})
    order = Order.objects.get(membership__user=beneficiary)
    assert order.slot == early
    # Changing the order: the slot held is preselected, and the member may pick another.
    beneficiary_client.post(url("my_order_change", shop, pk=order.pk))
    page = beneficiary_client.get(
        url("order_distribution", shop, pk=distribution.pk)
    ).content.decode()
    assert f'value="{early.pk}" required checked' in page
    beneficiary_client.post(url("confirm", shop, pk=distribution.pk), {"slot": late.pk})
    order.refresh_from_db()
    assert order.slot == late and order.status == OrderStatus.CONFIRMED
    assert "créneau" in beneficiary_client.get(url("my_orders", shop)).content.decode()


def test_a_full_slot_is_disabled_and_refused(beneficiary_client, shop, distribution, rice):
    full = make_slot(distribution=distribution, capacity=1)
    other = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
    )
    Order.objects.filter(pk=other.pk).update(slot=full)
    beneficiary_client.post(
        url("cart", shop, pk=distribution.pk), {"product": rice.pk, "quantity": "1"}
    )
    page = beneficiary_client.get(
        url("order_distribution", shop, pk=distribution.pk)
    ).content.decode()
    assert f'value="{full.pk}" required disabled' in page and "complet" in page
    response = beneficiary_client.post(
        url("confirm", shop, pk=distribution.pk), {"slot": full.pk}, follow=True
    )
    assert "Ce créneau est complet, choisissez-en un autre." in response.content.decode()
    assert Order.objects.count() == 1


def test_a_cancelled_order_frees_its_place(shop, distribution, rice):
    slot = make_slot(distribution=distribution, capacity=1)
    gone = make_order(
        membership=make_beneficiary(shop=shop).membership,
        distribution=distribution,
        lines={rice: 1},
        status=OrderStatus.CANCELLED,
    )
    Order.objects.filter(pk=gone.pk).update(slot=slot)
    member = make_beneficiary(shop=shop).membership
    order = order_confirm(
        membership=member, distribution=distribution, quantities={rice.pk: 1}, slot_id=slot.pk
    )
    assert order.slot == slot


def test_confirming_again_keeps_one_s_own_place_in_a_full_slot(shop, distribution, rice):
    slot = make_slot(distribution=distribution, capacity=1)
    member = make_beneficiary(shop=shop).membership
    order_confirm(
        membership=member, distribution=distribution, quantities={rice.pk: 1}, slot_id=slot.pk
    )
    again = order_confirm(
        membership=member, distribution=distribution, quantities={rice.pk: 2}, slot_id=slot.pk
    )
    assert again.slot == slot and again.lines.get().quantity == 2


# --- the bag sheets --------------------------------------------------------------------------


def test_bag_sheets_go_slot_by_slot_then_by_name_and_show_the_slot(manager_client, shop, rice):
    distribution = make_distribution(shop=shop, state="closed")
    early = make_slot(distribution=distribution)
    late = make_slot(distribution=distribution, start=30 * MIN)
    people = [
        ("Anne", "Zola", late),
        ("Zoé", "Abel", late),
        ("Marc", "Morin", early),
        ("Éva", "Roux", None),
    ]
    for first, last, slot in people:
        order = make_order(
            membership=make_beneficiary(
                shop=shop, user=make_user(first_name=first, last_name=last)
            ).membership,
            distribution=distribution,
            lines={rice: 1},
        )
        Order.objects.filter(pk=order.pk).update(slot=slot)
    names = [bag.name for bag in preparation_sheets(distribution=distribution).bags]
    assert names == ["Marc Morin", "Anne Zola", "Zoé Abel", "Éva Roux"]
    page = manager_client.get(
        url("document", shop, pk=distribution.pk, kind="sacs")
    ).content.decode()
    assert "Créneau" in page and page.index("Marc Morin") < page.index("Anne Zola")


def test_the_distribution_cannot_be_moved_away_from_its_slots(manager_client, shop, distribution):
    make_slot(distribution=distribution)
    later = distribution.starts_at + 60 * MIN
    response = manager_client.post(
        url("edit", shop, pk=distribution.pk),
        {
            "starts_at": _local(later),
            "orders_open_at": _local(distribution.orders_open_at),
            "orders_close_at": _local(distribution.orders_close_at),
            "place": "Salle des fêtes",
        },
    )
    assert "Des créneaux de retrait sortiraient de la distribution" in response.content.decode()
    distribution.refresh_from_db()
    assert distribution.starts_at != later
