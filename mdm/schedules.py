"""Periodic django-q2 work declared in code and created idempotently (after every `migrate` and by
the apps' commands). Every app declares its schedules as `{"name", "func", "minutes"}` and calls
`schedule_ensure`; the post_migrate handlers pass the migrated state's Schedule model."""

from __future__ import annotations

from typing import TypedDict

from django.db import transaction
from django.db.models import Model


class ScheduleSpec(TypedDict):
    name: str
    func: str
    minutes: int


def schedule_ensure(*, spec: ScheduleSpec, schedule_model: type[Model] | None = None) -> str:
    """Create or correct one schedule; created | updated | unchanged.

    A schedule keeps its next run time when corrected; duplicates of the same name (made by hand
    in admin) are removed so that the task runs once per period."""
    from django_q.models import Schedule

    schedule_model = schedule_model or Schedule
    wanted = {"func": spec["func"], "schedule_type": Schedule.MINUTES, "minutes": spec["minutes"], "repeats": -1}
    with transaction.atomic():
        rows = list(schedule_model.objects.filter(name=spec["name"]).order_by("pk"))
        if not rows:
            schedule_model.objects.create(name=spec["name"], **wanted)
            return "created"
        schedule, extra = rows[0], rows[1:]
        for duplicate in extra:
            duplicate.delete()
        changed = [field for field, value in wanted.items() if getattr(schedule, field) != value]
        for field in changed:
            setattr(schedule, field, wanted[field])
        if changed:
            schedule.save(update_fields=changed)
    return "updated" if changed or extra else "unchanged"
