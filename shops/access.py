"""The one place where a request is tied to a shop and a role.

Every shop page is under ``/<shop_slug>/``. A view decorated with ``shop_view`` gets
``request.shop`` and ``request.membership`` and runs in the shop's time zone; objects of the
shop are then loaded with ``access_*`` helpers that filter on that shop. A shop the user does
not belong to answers 404 (we do not reveal that it exists); the wrong role answers 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, Model, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from epiclic.logs import shop_context
from shops.models import Membership, Role, Shop

M = TypeVar("M", bound=Model)


class AuthenticatedRequest(HttpRequest):
    """The request of a view behind sign-in (``login_required``, ``shop_view``), for typing."""

    user: User


class ShopRequest(AuthenticatedRequest):
    """The request a shop view receives (for type checking): the shop, the membership, htmx.

    ``user`` is signed in (``shop_view`` redirected anonymous visitors).
    """

    shop: Shop
    membership: Membership
    htmx: HtmxDetails
    other_shops: bool  # the user is a member of other shops too (the header's "Changer d'épicerie")


def access_shop(request: HttpRequest, shop_slug: str, *, role: str | None) -> Membership:
    """The user's membership of the shop, checked for ``role`` (None: any member); sets
    ``request.other_shops``.

    Superusers act as managers of any shop (support and administration).
    """
    user = request.user
    if not user.is_authenticated:
        raise Http404
    # A pending membership (an attached account that has not accepted yet) opens nothing.
    # All the user's memberships at once (nearly always one): the header asks whether there
    # are others. The beneficiary profile comes with them (None when there is none): the
    # ordering pages need it for the rate and the budget. Each saves a query per page.
    memberships = list(
        Membership.objects.select_related("shop", "beneficiary").filter(user=user, pending=False)
    )
    setattr(request, "other_shops", len(memberships) > 1)  # noqa: B010 - typed on ShopRequest
    membership = next((m for m in memberships if m.shop.slug == shop_slug), None)
    if user.is_superuser and (membership is None or membership.role != Role.MANAGER):
        # Whatever memberships they hold, superusers keep manager rights everywhere.
        shop = membership.shop if membership else get_object_or_404(Shop, slug=shop_slug)
        membership = Membership(user=user, shop=shop, role=Role.MANAGER)
    if membership is None:
        raise Http404
    if role is not None and membership.role != role:
        raise PermissionDenied
    return membership


ShopView = Callable[..., HttpResponseBase]


def shop_view(role: str | None = Role.MANAGER) -> Callable[[ShopView], ShopView]:
    """Decorator for every view under ``/<shop_slug>/``: sign-in, shop and role checks.

    The view takes a ``ShopRequest`` first, then the URL's arguments other than ``shop_slug``.
    """

    def decorator(view: ShopView) -> ShopView:
        @functools.wraps(view)
        def wrapper(
            request: HttpRequest, shop_slug: str, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = access_shop(request, shop_slug, role=role)
            shop_request = cast(ShopRequest, request)
            shop_request.shop = membership.shop
            shop_request.membership = membership
            shop = membership.shop
            if shop.suspended_at is not None and not request.user.is_superuser:
                return render(request, "shops/suspended.html", {"shop": shop}, status=403)
            # The page, and any date it shows or a form reads, is in the shop's time zone; log
            # lines written meanwhile carry the shop's slug.
            with timezone.override(shop.tzinfo), shop_context(shop.slug):
                return view(shop_request, *args, **kwargs)

        return wrapper

    return decorator


manager_view = shop_view(Role.MANAGER)
beneficiary_view = shop_view(Role.BENEFICIARY)
member_view = shop_view(None)


def access_object(shop: Shop, queryset: QuerySet[M] | type[M], **lookup: Any) -> M:
    """Load one object of ``shop`` or answer 404. The model must have a ``shop`` field."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    found = get_object_or_404(queryset, shop=shop, **lookup)
    field = found._meta.get_field("shop")
    if isinstance(field, ForeignKey):  # it is that shop: ``found.shop`` costs no query
        field.set_cached_value(found, shop)
    return found


def access_membership(shop: Shop, pk: int) -> Membership:
    return access_object(shop, Membership.objects.select_related("user"), pk=pk)
