from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from governance.choices import ChangeAction
from governance.models import DataDomain, Finding, GovernanceEvent, Integration, ObjectChange, PolicyRule, Team
from governance.services.changes import object_change_record, object_snapshot


class ChangeLoggedAdmin(admin.ModelAdmin):
    """Records every add, edit and delete made in admin to the change log, with the admin as actor.

    The snapshot before an edit is read from the database (the form has already changed the
    object); the record is written after the many-to-many fields are saved, so it holds them too.
    """

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        stored = type(obj).objects.filter(pk=obj.pk).first() if change else None
        obj._change_before = object_snapshot(stored) if stored is not None else None
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(obj, "_change_before", None)
        object_change_record(
            instance=obj,
            action=ChangeAction.UPDATE if before is not None else ChangeAction.CREATE,
            before=before,
            actor=request.user.get_username(),
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        before, pk = object_snapshot(obj), obj.pk
        super().delete_model(request, obj)
        obj.pk = pk
        object_change_record(
            instance=obj, action=ChangeAction.DELETE, before=before, after=None, actor=request.user.get_username()
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Team)
class TeamAdmin(ChangeLoggedAdmin):
    list_display = ("slug", "name")
    search_fields = ("slug", "name")


@admin.register(DataDomain)
class DataDomainAdmin(ChangeLoggedAdmin):
    list_display = ("slug", "name")
    search_fields = ("slug", "name", "description")


@admin.register(Integration)
class IntegrationAdmin(ChangeLoggedAdmin):
    list_display = ("source", "pattern", "direction", "cadence", "owner", "lifecycle")
    list_filter = ("pattern", "lifecycle", "owner", "domains")
    list_select_related = ("source", "owner")
    filter_horizontal = ("domains",)
    search_fields = ("source__code", "source__name", "steward", "endpoint")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(PolicyRule)
class PolicyRuleAdmin(ChangeLoggedAdmin):
    """Rules are declared in code; administrators only switch them and set their severity."""

    list_display = ("code", "title", "enabled", "severity", "updated_at")
    list_editable = ("enabled", "severity")
    fields = ("code", "enabled", "severity")
    readonly_fields = ("code",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PolicyRule | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept by the system: viewable, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("rule", "source", "severity", "owner", "opened_at", "resolved_at")
    list_filter = ("rule", "severity", ("resolved_at", admin.EmptyFieldListFilter))
    list_select_related = ("rule", "source", "owner")


@admin.register(ObjectChange)
class ObjectChangeAdmin(ReadOnlyAdmin):
    list_display = ("time", "actor", "action", "content_type", "object_repr")
    list_filter = ("action", "content_type")
    list_select_related = ("content_type",)
    search_fields = ("object_repr", "actor")


@admin.register(GovernanceEvent)
class GovernanceEventAdmin(ReadOnlyAdmin):
    list_display = ("time", "type", "source", "actor")
    list_filter = ("type",)
    list_select_related = ("source",)
