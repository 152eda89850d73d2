"""Manager pages of the beneficiaries (*Bénéficiaires*)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epiclic.errors import Refusal
from shops.access import ShopRequest, access_object, manager_view
from shops.forms import PROFILE_FIELDS, BeneficiaryCreateForm, BeneficiaryForm
from shops.models import BeneficiaryProfile
from shops.services import beneficiary_create, beneficiary_update

PAGE_SIZE = 50


@manager_view
def beneficiary_list(request: ShopRequest) -> HttpResponse:
    profiles = (
        BeneficiaryProfile.objects.filter(shop=request.shop)
        .select_related("membership__user")
        .order_by("-active", "membership__user__last_name", "membership__user__first_name", "pk")
    )
    query = request.GET.get("q", "").strip()
    if query:
        # The account's own name is searched only once the person has joined (shops.people).
        own_name = Q(membership__user__first_name__icontains=query) | Q(
            membership__user__last_name__icontains=query
        )
        profiles = profiles.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | (own_name & Q(membership__pending=False))
            | Q(membership__user__email__icontains=query)
            | Q(card_number__icontains=query)
        )
    page = Paginator(profiles, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "shops/beneficiary_list.html",
        {"page": page, "query": query, "today": timezone.localdate()},
    )


@manager_view
def beneficiary_create_view(request: ShopRequest) -> HttpResponse:
    form = BeneficiaryCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            beneficiary_create(
                shop=request.shop,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                **{name: data[name] for name in PROFILE_FIELDS},
            )
        except Refusal as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, _("Bénéficiaire ajouté(e)."))
            return redirect("shops:beneficiaries", shop_slug=request.shop.slug)
    return render(request, "shops/beneficiary_form.html", {"form": form})


def _profile(request: ShopRequest, pk: int) -> BeneficiaryProfile:
    return access_object(
        request.shop, BeneficiaryProfile.objects.select_related("membership__user"), pk=pk
    )


@manager_view
def beneficiary_edit(request: ShopRequest, pk: int) -> HttpResponse:
    profile = _profile(request, pk)
    form = BeneficiaryForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        beneficiary_update(
            profile=profile,
            first_name=data["first_name"],
            last_name=data["last_name"],
            **{name: data[name] for name in PROFILE_FIELDS},
        )
        messages.success(request, _("Fiche enregistrée."))
        return redirect("shops:beneficiaries", shop_slug=request.shop.slug)
    return render(request, "shops/beneficiary_form.html", {"form": form, "profile": profile})


@manager_view
@require_POST
def beneficiary_deactivate(request: ShopRequest, pk: int) -> HttpResponse:
    profile = _profile(request, pk)
    profile.active = False
    profile.save(update_fields=["active", "updated_at"])
    messages.success(
        request,
        _("%(name)s est désactivé(e) : plus de commande possible.")
        % {"name": profile.shown_name or profile.membership.user.email},
    )
    return redirect("shops:beneficiaries", shop_slug=request.shop.slug)
