"""Read-mostly admin of the connector's state; the API key itself is never shown."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from escarcelle.models import Connection, ImportPlan, ImportRun


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["shop", "account_name", "account_id", "masked_key", "key_rejected_at"]
    fields = ("shop", "account_name", "account_id", "key_last4", "connected_at", "connected_by",
              "key_rejected_at")  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A connection is made by checking a key with Escarcelle (Paramètres → Synchro
        # Escarcelle); an admin form with every field read-only could only fail.
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["shop", "kind", "started_at", "user", "result", "duration_s"]
    list_filter = ["kind", "result"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]


@admin.register(ImportPlan)
class ImportPlanAdmin(admin.ModelAdmin):
    list_display = ["shop", "kind", "status", "created_at", "applied_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["shop", "kind", "status", "created_by", "created_at", "expires_at",
                       "origin", "base_version", "counts", "errors", "read_s",
                       "applied_at"]  # fmt: skip
