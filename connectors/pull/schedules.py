"""The every-minute sync schedule, declared in code and created idempotently.

`sync_schedule_ensure` is what `manage.py sync --schedule` runs; connected to `post_migrate`
(see `sync_after_migrate`) it is also created by every `migrate`, as governance's schedules are.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Model
from django_q.models import Schedule

SYNC_SCHEDULE = {"name": "connectors-sync-due", "func": "connectors.sync_tasks.sync_due_task", "minutes": 1}


def sync_schedule_ensure(*, schedule_model: type[Model] | None = None) -> tuple[str, str]:
    """Create or correct the sync schedule; (name, created | updated | unchanged). Duplicates of
    the same name (made by hand in admin) are removed so that syncs run once per minute."""
    schedule_model = schedule_model or Schedule
    wanted = {
        "func": SYNC_SCHEDULE["func"],
        "schedule_type": Schedule.MINUTES,
        "minutes": SYNC_SCHEDULE["minutes"],
        "repeats": -1,
    }
    name = SYNC_SCHEDULE["name"]
    with transaction.atomic():
        rows = list(schedule_model.objects.filter(name=name).order_by("pk"))
        if not rows:
            schedule_model.objects.create(name=name, **wanted)
            return name, "created"
        schedule, extra = rows[0], rows[1:]
        for duplicate in extra:
            duplicate.delete()
        changed = [field for field, value in wanted.items() if getattr(schedule, field) != value]
        for field in changed:
            setattr(schedule, field, wanted[field])
        if changed:
            schedule.save(update_fields=changed)
    return name, "updated" if changed or extra else "unchanged"


def sync_after_migrate(*, apps: object = None, **kwargs: object) -> None:
    """A post_migrate handler: the schedule exists after every migrate."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        schedule_model = apps.get_model("django_q", "Schedule")  # type: ignore[attr-defined]
    except LookupError:
        return
    sync_schedule_ensure(schedule_model=schedule_model)
