from django.contrib import admin

from connectors.models import (
    Activity,
    ImportBatch,
    QuarantinedRow,
    SourceEvent,
    SourceRecord,
    SourceSystem,
    WebhookDelivery,
    WebhookSubscription,
)
from connectors.services.webhooks import webhook_delivery_redeliver, webhook_schedule_ensure


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "trust", "sync_watermark", "sync_failures", "sync_due_at")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    # The connector block comes from the catalog file (catalog-as-code); the watermark and the next
    # due time stay editable, to pull again from an earlier point, or now.
    readonly_fields = ("connector", "sync_lease_until")


@admin.register(SourceRecord)
class SourceRecordAdmin(admin.ModelAdmin):
    list_display = ("__str__", "full_name", "email", "phone", "customer", "is_deleted", "received_at")
    list_filter = ("source", "is_deleted", "pending_resolution")
    search_fields = ("external_id", "full_name", "email_key", "phone_key")
    raw_id_fields = ("customer", "last_batch")
    list_select_related = ("source",)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "kind",
        "source",
        "file_name",
        "status",
        "rows_read",
        "created",
        "updated",
        "rejected",
        "watermark_after",
    )
    list_filter = ("kind", "status", "source")


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(admin.ModelAdmin):
    list_display = ("batch", "line_number", "reasons")
    raw_id_fields = ("batch",)


@admin.register(SourceEvent)
class SourceEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "source", "action", "external_id", "occurred_at", "outcome", "received_at")
    list_filter = ("source", "action", "outcome")
    search_fields = ("event_id", "external_id")
    raw_id_fields = ("batch",)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("source_record", "kind", "occurred_at", "amount", "summary")
    list_filter = ("kind",)
    raw_id_fields = ("source_record", "batch")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions are normally managed on /webhooks/ or the API; admin edits keep the schedule."""

    list_display = ("name", "url", "event_types", "source", "active", "max_attempts", "created_at")
    list_filter = ("active", "source")
    search_fields = ("name", "url")
    readonly_fields = ("created_by", "created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:  # noqa: ANN001 - Django's signature
        super().save_model(request, obj, form, change)
        webhook_schedule_ensure()


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("pk", "subscription", "sequence", "event_type", "status", "attempts", "last_status_code")
    list_filter = ("status", "event_type", "subscription")
    raw_id_fields = ("subscription",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    @admin.action(description="Redeliver selected failed or dead deliveries")
    def redeliver(self, request, queryset) -> None:  # noqa: ANN001
        done = 0
        for delivery in queryset:
            if delivery.can_redeliver:
                webhook_delivery_redeliver(delivery=delivery, actor=request.user.get_username())
                done += 1
        self.message_user(request, f"{done} deliveries queued for redelivery.")
