"""Pushed stock updates: Escarcelle's deliveries (public, signed) and the manager's switch."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from epiclic.errors import Refusal
from escarcelle.stock.models import WebhookEndpoint
from escarcelle.stock.webhooks import (
    MAX_BODY_BYTES,
    webhook_receive,
    webhook_register,
    webhook_unregister,
)
from shops.access import ShopRequest, manager_view


@csrf_exempt
@require_POST
def receive(request: HttpRequest, shop_slug: str, token: str) -> HttpResponse:
    """No session, no CSRF: the unguessable token finds the shop, the signature proves the
    sender. Another shop's token, or a forgotten one, answers 404 like an unknown page."""
    endpoint = (
        WebhookEndpoint.objects.select_related("shop")
        .filter(shop__slug=shop_slug, token=token, shop__suspended_at__isnull=True)
        .first()
    )
    if endpoint is None:
        return HttpResponse(status=404)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    outcome = webhook_receive(endpoint=endpoint, body=request.body, headers=request.headers)
    return HttpResponse(outcome.result, status=outcome.status, content_type="text/plain")


@require_POST
@manager_view
def enable(request: ShopRequest) -> HttpResponse:
    shop = request.shop

    def url_for(token: str) -> str:
        path = reverse("escarcelle:stocks_webhook", kwargs={"shop_slug": shop.slug, "token": token})
        return request.build_absolute_uri(path)

    try:
        webhook_register(shop=shop, url_for=url_for)
    except Refusal as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _(
                "Escarcelle enverra désormais ses mouvements de stock dès qu'ils ont lieu ; "
                "la synchronisation horaire continue."
            ),
        )
    return redirect("escarcelle:stocks", shop_slug=shop.slug)


@require_POST
@manager_view
def disable(request: ShopRequest) -> HttpResponse:
    webhook_unregister(shop=request.shop)
    messages.success(request, _("Les mises à jour poussées sont désactivées."))
    return redirect("escarcelle:stocks", shop_slug=request.shop.slug)
