"""*Mon compte*: a beneficiary's own page (account, password, e-mails, budget, past orders)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from distributions.forms import AccountForm, NotificationsForm
from distributions.pricing import member_profile
from distributions.rules import budget_left
from distributions.selectors import member_past_orders
from shops.access import ShopRequest, beneficiary_view
from shops.models import NotificationKind
from shops.signin import ThrottledPasswordChangeForm


def _page(request: ShopRequest, **forms: Any) -> HttpResponse:
    membership = request.membership
    past = member_past_orders(membership=membership)
    notifications = forms.get("notifications") or NotificationsForm(membership=membership)
    context = {
        "account_form": forms.get("account") or AccountForm(instance=request.user),
        "password_form": forms.get("password") or ThrottledPasswordChangeForm(request.user),
        "notifications_form": notifications,
        "kinds": [
            (kind, label, kind in notifications.shop_off)
            for kind, label in NotificationKind.choices
        ],
        "profile": member_profile(membership),
        "budget_left": budget_left(membership=membership),
        "past_orders": past,
        "total_saved": sum((p.saved for p in past), 0),
    }
    invalid = any(form.is_bound and form.errors for form in forms.values())
    return render(request, "distributions/account.html", context, status=400 if invalid else 200)


@beneficiary_view
def account(request: ShopRequest) -> HttpResponse:
    """The page (GET); the account or the e-mail preferences saved (POST, ``form`` says which)."""
    if request.method != "POST":
        return _page(request)
    if request.POST.get("form") == "notifications":
        notifications = NotificationsForm(request.POST, membership=request.membership)
        if not notifications.is_valid():
            return _page(request, notifications=notifications)
        request.membership.notifications_off = notifications.notifications_off()
        request.membership.save(update_fields=["notifications_off"])
        messages.success(request, _("Vos préférences d'e-mails sont enregistrées."))
        return redirect("distributions:account", shop_slug=request.shop.slug)
    form = AccountForm(request.POST, instance=request.user)
    if not form.is_valid():
        return _page(request, account=form)
    form.save()
    messages.success(request, _("Votre compte est enregistré."))
    return redirect("distributions:account", shop_slug=request.shop.slug)


@beneficiary_view
@require_POST
def password_change(request: ShopRequest) -> HttpResponse:
    form = ThrottledPasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _page(request, password=form)
    user = form.save()
    # The other sessions of the account end; this one goes on.
    update_session_auth_hash(request, user)
    messages.success(request, _("Votre mot de passe est changé."))
    return redirect("distributions:account", shop_slug=request.shop.slug)
