from __future__ import annotations

from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "shop", "membership", "kind", "event_key", "skipped_reason"]
    list_filter = ["kind"]
    raw_id_fields = ["shop", "membership", "distribution", "email"]
    readonly_fields = ["created_at"]
