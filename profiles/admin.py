from django.contrib import admin

from profiles.models import (
    Customer,
    CustomerChange,
    CustomerEvent,
    GoldenAttribute,
    LinkConstraint,
    MatchModel,
    MatchPair,
    MatchRun,
    Relationship,
    ResolutionSettings,
    SurvivorshipRule,
    SurvivorshipRuleChange,
    ValuePin,
)
from profiles.services.values import survivorship_rule_update


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
    raw_id_fields = ("customer", "run", "reverted_by")


@admin.register(ResolutionSettings)
class ResolutionSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "min_decisions_for_supervised", "updated_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - one row only
        return not ResolutionSettings.objects.exists()


@admin.register(SurvivorshipRule)
class SurvivorshipRuleAdmin(admin.ModelAdmin):
    """One rule per attribute, created by a migration: edit them, never add or delete. Saving
    goes through the service, so the edit is audited and golden records are recomputed."""

    list_display = ("attribute", "strategy", "min_trust", "flag_conflicts", "updated_by", "updated_at")
    fields = (
        "attribute",
        "strategy",
        "source_priority",
        "min_trust",
        "decay_days",
        "decay_floor",
        "decay_curve",
        "flag_conflicts",
    )
    readonly_fields = ("attribute",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in obj.snapshot()}
        survivorship_rule_update(rule=obj, actor=request.user.get_username(), **changes)


@admin.register(SurvivorshipRuleChange)
class SurvivorshipRuleChangeAdmin(admin.ModelAdmin):
    list_display = ("pk", "rule", "actor", "created_at")
    readonly_fields = ("rule", "actor", "before", "after", "created_at")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - an audit trail
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(GoldenAttribute)
class GoldenAttributeAdmin(admin.ModelAdmin):
    list_display = ("pk", "customer", "attribute", "value", "source", "rule", "conflict", "pinned")
    list_filter = ("attribute", "rule", "conflict", "pinned")
    raw_id_fields = ("customer", "source_record", "source")
    search_fields = ("value",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - computed by survivorship
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(ValuePin)
class ValuePinAdmin(admin.ModelAdmin):
    list_display = ("pk", "customer", "attribute", "value", "actor", "created_at")
    list_filter = ("attribute",)
    raw_id_fields = ("customer", "source_record")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - pinned from the profile page (audited)
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001 - unpinned there too
        return False


@admin.register(CustomerChange)
class CustomerChangeAdmin(admin.ModelAdmin):
    list_display = ("sequence", "customer", "kind", "survivor", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("customer", "survivor")

    def has_add_permission(self, request) -> bool:  # noqa: ANN001 - append-only
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    list_display = ("pk", "customer", "kind", "label")
    list_filter = ("kind",)
    raw_id_fields = ("customer",)
    search_fields = ("label", "key")
