"""The change log of registry data (NetBox's ObjectChange): who changed what, when, before and after.

Services call `object_change_record` explicitly with a snapshot taken before the change, rather
than relying on model signals: many-to-many fields (an integration's domains) are only final
after the service has set them, and the actor is a parameter of every service anyway. Django
admin records its edits through `governance.admin.ChangeLoggedAdmin`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models

from governance.catalog import format_duration
from governance.choices import ChangeAction
from governance.models import ObjectChange

# Bookkeeping columns that change on every save and say nothing about the object itself.
_IGNORED_FIELDS = {"id", "created_at", "updated_at"}


def _natural_key(obj: models.Model | None) -> object:
    if obj is None:
        return None
    for name in ("slug", "code"):
        if hasattr(obj, name):
            return getattr(obj, name)
    return obj.pk


def _plain(value: object) -> object:
    """A JSON-ready form of a field value; durations in ISO 8601 as the catalog writes them."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def object_snapshot(instance: models.Model) -> dict[str, object]:
    """Every field of an object as JSON: relations by their slug or code, many-to-many sorted."""
    data: dict[str, object] = {}
    opts = instance._meta
    for field in opts.concrete_fields:
        if field.name in _IGNORED_FIELDS:
            continue
        if field.is_relation:
            data[field.name] = _natural_key(getattr(instance, field.name))
        else:
            data[field.name] = _plain(field.value_from_object(instance))
    if instance.pk is not None:
        for field in opts.many_to_many:
            data[field.name] = sorted(str(_natural_key(o)) for o in getattr(instance, field.name).all())
    return data


def object_change_record(
    *,
    instance: models.Model,
    action: ChangeAction,
    before: dict[str, object] | None,
    actor: str,
    after: dict[str, object] | None = None,
) -> ObjectChange | None:
    """Record one change. An update that changed no field records nothing."""
    if after is None and action != ChangeAction.DELETE:
        after = object_snapshot(instance)
    if action == ChangeAction.UPDATE and before == after:
        return None
    return ObjectChange.objects.create(
        actor=actor[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        before=before,
        after=after,
    )
