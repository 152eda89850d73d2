"""The e-mail outbox in the admin: operators see what failed and why (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from epiclic.models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "shop_id", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("subject",)
    readonly_fields = [field.name for field in OutgoingEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
