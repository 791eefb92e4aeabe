from django.contrib import admin

from profiles.models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("pk", "full_name", "email", "phone", "status", "merged_into", "updated_at")
    list_filter = ("status",)
    search_fields = ("full_name", "email", "phone")
    raw_id_fields = ("merged_into",)
