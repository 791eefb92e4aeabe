from django.contrib import admin

from profiles.models import (
    Customer,
    CustomerEvent,
    LinkConstraint,
    MatchModel,
    MatchPair,
    MatchRun,
    ResolutionSettings,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("pk", "full_name", "email", "phone", "status", "merged_into", "updated_at")
    list_filter = ("status",)
    search_fields = ("full_name", "email", "phone")
    raw_id_fields = ("merged_into",)


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "mode", "status", "stage", "records", "auto_linked", "to_review", "golden_records")
    list_filter = ("mode", "status")


@admin.register(MatchModel)
class MatchModelAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "is_active", "trained_on", "created_at")


@admin.register(MatchPair)
class MatchPairAdmin(admin.ModelAdmin):
    list_display = ("pk", "record_a", "record_b", "probability", "status", "decision", "decided_by")
    list_filter = ("status", "decision")
    raw_id_fields = ("record_a", "record_b", "run", "model")


@admin.register(LinkConstraint)
class LinkConstraintAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "record_a", "record_b", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("record_a", "record_b")


@admin.register(CustomerEvent)
class CustomerEventAdmin(admin.ModelAdmin):
    list_display = ("pk", "customer", "kind", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("customer", "run")


@admin.register(ResolutionSettings)
class ResolutionSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "min_decisions_for_supervised", "updated_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - one row only
        return not ResolutionSettings.objects.exists()
