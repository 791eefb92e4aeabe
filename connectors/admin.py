from django.contrib import admin

from connectors.models import Activity, ImportBatch, QuarantinedRow, SourceRecord, SourceSystem


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "trust", "default_country")
    list_filter = ("kind",)
    search_fields = ("code", "name")


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
    )
    list_filter = ("kind", "status", "source")


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(admin.ModelAdmin):
    list_display = ("batch", "line_number", "reasons")
    raw_id_fields = ("batch",)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("source_record", "kind", "occurred_at", "amount", "summary")
    list_filter = ("kind",)
    raw_id_fields = ("source_record", "batch")
