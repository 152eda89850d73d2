"""Paramètres → Équipe (the managers and their invitations), Paramètres → Épicerie, and the
page an invitation link opens."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epiclic.errors import Refusal
from shops import team
from shops.access import ShopRequest, access_membership, manager_view
from shops.lifecycle import shop_update
from shops.models import Invitation, Membership, Role
from shops.team_forms import SHOP_FIELDS, AcceptForm, InviteForm, ShopForm


def _team_page(request: ShopRequest, form: InviteForm) -> HttpResponse:
    managers = (
        Membership.objects.filter(shop=request.shop, role=Role.MANAGER)
        .select_related("user")
        .order_by("user__last_name", "user__email")
    )
    pending = Invitation.objects.filter(
        shop=request.shop, role=Role.MANAGER, accepted_at__isnull=True
    ).order_by("email")
    return render(
        request, "shops/team.html", {"managers": managers, "pending": pending, "form": form}
    )


@manager_view
def team_index(request: ShopRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team.manager_invite(
                shop=request.shop, email=form.cleaned_data["email"], invited_by=request.user
            )
        except Refusal as refusal:
            form.add_error("email", refusal.message)
        else:
            messages.success(
                request,
                _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("shops:team", shop_slug=request.shop.slug)
    return _team_page(request, form)


@manager_view
@require_POST
def manager_remove(request: ShopRequest, pk: int) -> HttpResponse:
    membership = access_membership(request.shop, pk)
    try:
        team.manager_remove(shop=request.shop, membership=membership)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("%(who)s ne gère plus l'épicerie.")
            % {"who": membership.user.get_full_name() or membership.user.email},
        )
    return redirect("shops:team", shop_slug=request.shop.slug)


@manager_view
@require_POST
def invitation_cancel(request: ShopRequest, pk: int) -> HttpResponse:
    team.invitation_cancel(shop=request.shop, invitation_id=pk)
    messages.success(request, _("Invitation annulée."))
    return redirect("shops:team", shop_slug=request.shop.slug)


@manager_view
def shop_edit(request: ShopRequest) -> HttpResponse:
    form = ShopForm(request.POST or None, instance=request.shop)
    if request.method == "POST" and form.is_valid():
        try:
            shop_update(
                shop=request.shop, **{name: form.cleaned_data[name] for name in SHOP_FIELDS}
            )
        except Refusal as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Épicerie enregistrée."))
            return redirect("shops:settings", shop_slug=request.shop.slug)
    return render(request, "shops/shop_form.html", {"form": form})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone with the link: the token is the proof (like a password reset link)."""
    invitation = team.invitation_for_token(token)
    if invitation is None:
        return render(request, "shops/invitation_invalid.html", status=404)
    account_exists = team.account_exists(invitation.email)
    form = AcceptForm(request.POST or None, email=invitation.email)
    error = ""
    if request.method == "POST":
        try:
            if account_exists:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                team.invitation_accept(invitation=invitation, user=cast(User, request.user))
            elif form.is_valid():
                membership = team.invitation_accept(
                    invitation=invitation, password=form.cleaned_data["password1"]
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                return _accept_page(request, invitation, form, account_exists, error)
        except Refusal as refusal:
            error = refusal.message
        else:
            welcome = (
                _("Bienvenue : vous gérez %(shop)s.")
                if invitation.role == Role.MANAGER
                else _("Bienvenue à %(shop)s.")
            )
            messages.success(request, welcome % {"shop": invitation.shop.name})
            return redirect("shops:home", shop_slug=invitation.shop.slug)
    return _accept_page(request, invitation, form, account_exists, error)


def _accept_page(
    request: HttpRequest, invitation: Invitation, form: AcceptForm, account_exists: bool, error: str
) -> HttpResponse:
    return render(
        request,
        "shops/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "account_exists": account_exists,
            "error": error,
        },
    )
