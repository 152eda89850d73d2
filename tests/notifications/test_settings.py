"""*Paramètres*: the grocery switches each kind of e-mail and sets the delays, in French."""

from __future__ import annotations

from django.urls import reverse

from shops.models import NotificationKind, Shop


def _url(shop: Shop) -> str:
    return reverse("shops:settings", kwargs={"shop_slug": shop.slug})


def test_a_manager_switches_kinds_off_and_sets_the_delays(manager_client, shop):
    page = manager_client.get(_url(shop)).content.decode()
    assert "E-mails aux bénéficiaires" in page and "rappel la veille du retrait" in page
    assert "le rappel part à la moitié de la période de commande" in page
    kept = [k for k in NotificationKind.values if k != NotificationKind.PICKUP_REMINDER]
    response = manager_client.post(
        _url(shop), {"kinds_on": kept, "reminder_hours": "4", "access_ending_days": "10"}
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.notifications_off == [NotificationKind.PICKUP_REMINDER]
    assert (shop.reminder_hours, shop.access_ending_days) == (4, 10)


def test_a_reminder_longer_than_an_ordering_window_is_refused_in_french(manager_client, shop):
    response = manager_client.post(
        _url(shop), {"kinds_on": [], "reminder_hours": "400", "access_ending_days": "7"}
    )
    assert response.status_code == 200
    assert "plus de 336 heures (14 jours)" in response.content.decode()
    response = manager_client.post(
        _url(shop), {"kinds_on": [], "reminder_hours": "0", "access_ending_days": "0"}
    )
    page = response.content.decode()
    assert "Au moins 1 heure" in page and "Entre 1 et 90 jours" in page
    shop.refresh_from_db()
    assert shop.notifications_off == [] and shop.reminder_hours == 24


def test_the_settings_are_the_groceries_own(check_tenancy, shop):
    check_tenancy(_url(shop))
    check_tenancy(_url(shop), method="post", data={"reminder_hours": "5"})
