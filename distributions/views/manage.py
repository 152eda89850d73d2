"""Manager pages: distributions, their orders, delivered quantities and validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from distributions.availability import available_quantities, displayable
from distributions.forms import DeliveredForm, DistributionForm, form_errors_text
from distributions.models import Distribution, DistributionState, OrderLine
from distributions.selectors import distribution_summary, distributions_with_counts
from distributions.services import (
    distribution_close_now,
    distribution_open_now,
    distribution_reopen,
    distribution_validate,
    order_line_deliver,
)
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
            "can_reopen": state == DistributionState.CLOSED
            and timezone.now() < distribution.starts_at,
            "events": distribution.events.select_related("user"),
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
        messages.error(request, f"{line.name} : {error}")
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


@dataclass(frozen=True)
class LifecycleAction:
    """A life cycle action of the distribution page: its service and its words."""

    service: Callable[..., Distribution]
    title: str | Promise
    explanation: str | Promise
    done: str | Promise


LIFECYCLE_ACTIONS = {
    "ouvrir": LifecycleAction(
        service=distribution_open_now,
        title=gettext_lazy("Ouvrir les commandes maintenant"),
        explanation=gettext_lazy(
            "Les bénéficiaires pourront commander dès maintenant, jusqu'à la fermeture prévue."
        ),
        done=gettext_lazy("Commandes ouvertes."),
    ),
    "fermer": LifecycleAction(
        service=distribution_close_now,
        title=gettext_lazy("Fermer les commandes maintenant"),
        explanation=gettext_lazy(
            "Les bénéficiaires ne pourront plus commander ni modifier leur commande. "
            "Vous pourrez rouvrir les commandes jusqu'au début de la distribution."
        ),
        done=gettext_lazy("Commandes fermées."),
    ),
    "rouvrir": LifecycleAction(
        service=distribution_reopen,
        title=gettext_lazy("Rouvrir les commandes"),
        explanation=gettext_lazy(
            "Les bénéficiaires pourront de nouveau commander, jusqu'au début de la distribution "
            "(vous pourrez avancer la fermeture avec « Modifier »)."
        ),
        done=gettext_lazy("Commandes rouvertes."),
    ),
}


@manager_view
def distribution_lifecycle(request: ShopRequest, pk: int, action: str) -> HttpResponse:
    """Open, close or reopen orders now: a confirmation page (GET), then the action (POST)."""
    distribution = access_object(request.shop, Distribution, pk=pk)
    lifecycle = LIFECYCLE_ACTIONS.get(action)
    if lifecycle is None:
        raise Http404
    if request.method == "POST":
        try:
            lifecycle.service(distribution=distribution, user=request.user)
        except Refusal as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, str(lifecycle.done))
        return _redirect_to_detail(request, distribution)
    return render(
        request,
        "distributions/distribution_lifecycle.html",
        {"distribution": distribution, "action": action, "lifecycle": lifecycle},
    )
