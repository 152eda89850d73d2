from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epiclic.errors import Refusal
from escarcelle.sales.models import SaleOutbox
from escarcelle.sales.selectors import shop_unsent_sales
from escarcelle.sales.services import sale_retry as sale_retry_service
from escarcelle.sales.tasks import sales_deliver_task
from shops.access import ShopRequest, access_object, manager_view


@manager_view
def sales_list(request: ShopRequest) -> HttpResponse:
    context = shop_unsent_sales(shop=request.shop)
    return render(request, "escarcelle_sales/sales.html", context)


@require_POST
@manager_view
def sale_retry(request: ShopRequest, pk: int) -> HttpResponse:
    sale = access_object(request.shop, SaleOutbox, pk=pk)
    try:
        sale = sale_retry_service(sale=sale)
    except Refusal as refused:
        messages.error(request, refused.message)
    else:
        distribution_id = sale.distribution_id
        transaction.on_commit(lambda: sales_deliver_task(distribution_id))
        messages.success(request, _("La vente est renvoyée à Escarcelle."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("escarcelle:sales:list", kwargs={"shop_slug": request.shop.slug})
    return redirect(target)
