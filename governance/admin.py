from django.contrib import admin

from governance.models import Integration, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("slug", "name")


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("source", "pattern", "direction", "cadence", "owner", "lifecycle")
    list_filter = ("pattern", "lifecycle", "owner")
