"""The operator space (/operateur/): the fleet, a grocery's page, creating a grocery."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epiclic.errors import Refusal
from operators.access import operator_view
from operators.fleet import fleet_row, fleet_shops
from operators.forms import InviteForm, ShopCreateForm
from shops import lifecycle, team
from shops.access import AuthenticatedRequest
from shops.models import Invitation, Membership, Role, Shop

PAGE_SIZE = 50


@operator_view
def fleet(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    trouble = request.GET.get("difficulte") == "1"
    page = Paginator(fleet_shops(query=query, trouble=trouble), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [fleet_row(shop) for shop in page.object_list]
    return render(
        request,
        "operators/fleet.html",
        {"page": page, "rows": rows, "query": query, "trouble": trouble},
    )


@operator_view
def shop_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ShopCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shop, invitation = lifecycle.shop_create(
                name=data["name"],
                slug=data["slug"],
                address=data["address"],
                contact_email=data["contact_email"],
                timezone_name=data["timezone"],
                manager_email=data["manager_email"],
                invited_by=request.user,
            )
        except Refusal as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(
                request,
                _("Épicerie « %(name)s » créée ; invitation envoyée à %(email)s.")
                % {"name": shop.name, "email": invitation.email},
            )
            return redirect("operators:shop", slug=shop.slug)
    return render(request, "operators/shop_create.html", {"form": form})


def _shop_page(request: AuthenticatedRequest, shop: Shop, form: InviteForm) -> HttpResponse:
    row = fleet_row(get_object_or_404(fleet_shops(), pk=shop.pk))
    managers = Membership.objects.filter(shop=shop, role=Role.MANAGER).select_related("user")
    pending = Invitation.objects.filter(
        shop=shop, role=Role.MANAGER, accepted_at__isnull=True
    ).order_by("email")
    return render(
        request,
        "operators/shop.html",
        {"shop": shop, "row": row, "managers": managers, "pending": pending, "form": form},
    )


@operator_view
def shop_detail(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    shop = get_object_or_404(Shop, slug=slug)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team.manager_invite(
                shop=shop, email=form.cleaned_data["email"], invited_by=request.user
            )
        except Refusal as refusal:
            form.add_error("email", refusal.message)
        else:
            messages.success(
                request,
                _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("operators:shop", slug=shop.slug)
    return _shop_page(request, shop, form)


@operator_view
@require_POST
def shop_suspend(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    shop = get_object_or_404(Shop, slug=slug)
    if lifecycle.shop_suspend(shop=shop):
        messages.success(request, _("« %(name)s » est suspendue.") % {"name": shop.name})
    return redirect("operators:shop", slug=shop.slug)


@operator_view
@require_POST
def shop_reactivate(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    shop = get_object_or_404(Shop, slug=slug)
    if lifecycle.shop_reactivate(shop=shop):
        messages.success(request, _("« %(name)s » est réactivée.") % {"name": shop.name})
    return redirect("operators:shop", slug=shop.slug)
