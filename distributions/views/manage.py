"""Manager pages: distributions, their orders, delivered quantities and validation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from distributions.availability import available_quantities, displayable
from distributions.forms import DeliveredForm, DistributionForm, form_errors_text
from distributions.models import Distribution, DistributionState, OrderLine
from distributions.selectors import distribution_summary, distributions_with_counts
from distributions.services import distribution_validate, order_line_deliver
from epiclic.errors import Refusal
from shops.access import ShopRequest, access_object, manager_view

DELIVERIES_CHANGED = "deliveries-changed"

STATE_ORDER = [
    DistributionState.OPEN,
    DistributionState.UPCOMING,
    DistributionState.CLOSED,
    DistributionState.VALIDATED,
]


@manager_view
def distribution_list(request: ShopRequest) -> HttpResponse:
    sections: dict[str, list[Distribution]] = {state: [] for state in STATE_ORDER}
    for distribution in distributions_with_counts(shop=request.shop):
        sections[distribution.state].append(distribution)
    return render(
        request,
        "distributions/distribution_list.html",
        {
            "sections": [
                (DistributionState(state).label, sections[state]) for state in STATE_ORDER
            ],
            "empty": not any(sections.values()),
        },
    )


def _redirect_to_detail(request: ShopRequest, distribution: Distribution) -> HttpResponseRedirect:
    return redirect("distributions:detail", shop_slug=request.shop.slug, pk=distribution.pk)


@manager_view
def distribution_create(request: ShopRequest) -> HttpResponse:
    form = DistributionForm(request.POST or None, shop=request.shop)
    if request.method == "POST" and form.is_valid():
        form.instance.shop = request.shop
        distribution = form.save()
        messages.success(request, _("Distribution créée."))
        return _redirect_to_detail(request, distribution)
    return render(request, "distributions/distribution_form.html", {"form": form})


@manager_view
def distribution_edit(request: ShopRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    if distribution.validated_at is not None:
        messages.error(request, _("Une distribution validée ne peut plus être modifiée."))
        return _redirect_to_detail(request, distribution)
    form = DistributionForm(request.POST or None, instance=distribution, shop=request.shop)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Distribution enregistrée."))
        return _redirect_to_detail(request, distribution)
    return render(
        request,
        "distributions/distribution_form.html",
        {"form": form, "distribution": distribution},
    )


@manager_view
def distribution_detail(request: ShopRequest, pk: int) -> HttpResponse:
    distribution = access_object(
        request.shop, Distribution.objects.prefetch_related("catalogues"), pk=pk
    )
    by_beneficiary, by_product = distribution_summary(distribution=distribution)
    available = available_quantities(
        shop=request.shop, product_ids=[row.product.pk for row in by_product]
    )
    for row in by_product:
        row.available = displayable(available.get(row.product.pk))
    state = distribution.state
    return render(
        request,
        "distributions/distribution_detail.html",
        {
            "distribution": distribution,
            "state": state,
            "can_adjust": state == DistributionState.CLOSED,
            "by_beneficiary": by_beneficiary,
            "by_product": by_product,
            "grand_total": sum((row.total for row in by_beneficiary), 0),
        },
    )


@manager_view
@require_POST
def line_deliver(request: ShopRequest, pk: int, line_pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    line = get_object_or_404(
        OrderLine.objects.select_related("product", "order"),
        pk=line_pk,
        order__distribution=distribution,
    )
    form = DeliveredForm(request.POST)
    error = None
    if not form.is_valid():
        error = form_errors_text(form)
    else:
        try:
            line = order_line_deliver(line=line, delivered_quantity=form.delivered())
        except Refusal as refused:
            error = refused.message
    if request.htmx:
        response = render(
            request,
            "distributions/distribution_detail.html#line",
            {
                "line": line,
                "distribution": distribution,
                "can_adjust": True,
                "error": error,
                "saved": error is None,
            },
        )
        if error is None:
            # The amounts of the page follow (they reload themselves on this event).
            trigger_client_event(response, DELIVERIES_CHANGED)
        return response
    if error:
        messages.error(request, f"{line.product.name} : {error}")
    else:
        messages.success(request, _("Quantité livrée enregistrée."))
    return _redirect_to_detail(request, distribution)


@manager_view
def distribution_validate_view(request: ShopRequest, pk: int) -> HttpResponse:
    distribution = access_object(request.shop, Distribution, pk=pk)
    if request.method == "POST":
        try:
            distribution_validate(distribution=distribution, user=request.user)
        except Refusal as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Distribution validée : les commandes sont livrées."))
        return _redirect_to_detail(request, distribution)
    by_beneficiary, by_product = distribution_summary(distribution=distribution)
    return render(
        request,
        "distributions/distribution_validate.html",
        {
            "distribution": distribution,
            "state": distribution.state,
            "order_count": len(by_beneficiary),
            "by_product": by_product,
        },
    )
