from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shops.access import AuthenticatedRequest, ShopRequest, manager_view, member_view
from shops.forms import NotificationSettingsForm
from shops.models import Membership, Role, Shop


def shop_home_url(membership: Membership) -> str:
    name = "catalog:products" if membership.role == Role.MANAGER else "distributions:order"
    return reverse(name, kwargs={"shop_slug": membership.shop.slug})


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """After sign-in: straight to the only shop, or a picker when there are several."""
    memberships = list(
        Membership.objects.filter(user=request.user, pending=False)
        .select_related("shop")
        .order_by("shop__name")
    )
    if len(memberships) == 1:
        return redirect(shop_home_url(memberships[0]))
    shops_for_superuser = Shop.objects.none()
    if request.user.is_superuser:
        shops_for_superuser = Shop.objects.exclude(
            pk__in=[m.shop_id for m in memberships]
        ).order_by("name")
    return render(
        request,
        "shops/picker.html",
        {"memberships": memberships, "shops_for_superuser": shops_for_superuser},
    )


@member_view
def shop_home(request: ShopRequest) -> HttpResponse:
    return redirect(shop_home_url(request.membership))


@manager_view
def settings_index(request: ShopRequest) -> HttpResponse:
    form = NotificationSettingsForm(request.POST or None, instance=request.shop)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Réglages des e-mails enregistrés."))
        return redirect("shops:settings", shop_slug=request.shop.slug)
    return render(request, "shops/settings.html", {"notification_form": form})
