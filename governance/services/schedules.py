"""Periodic work of governance, declared in code (`constants.HEALTH_CHECK_SCHEDULE`) and created
idempotently: after every `migrate` (a post_migrate handler) and by `manage.py governance_schedule`."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Model
from django_q.models import Schedule

from governance.constants import HEALTH_CHECK_SCHEDULE

SCHEDULES = (HEALTH_CHECK_SCHEDULE,)


def schedules_ensure(*, schedule_model: type[Model] | None = None) -> list[tuple[str, str]]:
    """Create or correct each declared django-q2 schedule; (name, created | updated | unchanged).

    A schedule keeps its next run time when corrected; a duplicate of the same name (made by
    hand in admin) is removed so that the task runs once per period.
    """
    schedule_model = schedule_model or Schedule  # the post_migrate handler passes the migrated state's model
    outcomes = []
    with transaction.atomic():
        for spec in SCHEDULES:
            wanted = {
                "func": spec["func"],
                "schedule_type": Schedule.MINUTES,
                "minutes": spec["minutes"],
                "repeats": -1,
            }
            rows = list(schedule_model.objects.filter(name=spec["name"]).order_by("pk"))
            if not rows:
                schedule_model.objects.create(name=spec["name"], **wanted)
                outcomes.append((spec["name"], "created"))
                continue
            schedule, extra = rows[0], rows[1:]
            for duplicate in extra:
                duplicate.delete()
            changed = [name for name, value in wanted.items() if getattr(schedule, name) != value]
            for name in changed:
                setattr(schedule, name, wanted[name])
            if changed:
                schedule.save(update_fields=changed)
            outcomes.append((spec["name"], "updated" if changed or extra else "unchanged"))
    return outcomes
