"""Audit entries in Django admin: read-only, for administrators to browse."""

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("time", "actor", "action", "target_type", "target_id", "ip")
    list_filter = ("action",)
    search_fields = ("actor", "action", "target_id")
    date_hierarchy = "time"
    readonly_fields = ("time", "actor", "action", "target_type", "target_id", "parameters", "ip")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
