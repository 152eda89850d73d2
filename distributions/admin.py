"""Admin: for superusers. Undoing a validation is possible here only, never from the app."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from distributions.models import Distribution, Order, OrderLine, PickupSlot
from distributions.services import distribution_unvalidate


@admin.register(Distribution)
class DistributionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "shop", "orders_open_at", "orders_close_at", "validated_at"]
    list_filter = ["shop"]
    readonly_fields = ["validated_at", "validated_by"]
    filter_horizontal = ["catalogues"]
    actions = ["unvalidate"]

    @admin.action(description=_("Annuler la validation (super-utilisateur)"))
    def unvalidate(self, request: HttpRequest, queryset: QuerySet[Distribution]) -> None:
        user = request.user
        if not (user.is_authenticated and user.is_superuser):
            self.message_user(request, _("Réservé aux super-utilisateurs."), level=messages.ERROR)
            return
        for distribution in queryset.filter(validated_at__isnull=False):
            distribution_unvalidate(distribution=distribution, user=user)
        self.message_user(request, _("Validation annulée ; le stock a été rétabli."))

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("unvalidate", None)
        return actions


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]
    readonly_fields = ["product_name", "shelf_price", "participation_rate", "unit_price"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "shop", "distribution", "membership", "status"]
    list_filter = ["shop", "status"]
    raw_id_fields = ["distribution", "membership", "slot"]
    readonly_fields = ["participation_rate"]
    inlines = [OrderLineInline]


@admin.register(PickupSlot)
class PickupSlotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "distribution", "capacity"]
    list_select_related = ["distribution__shop"]
    raw_id_fields = ["distribution"]
