"""The every-minute sync schedule, declared in code and created idempotently.

`sync_schedule_ensure` is what `manage.py sync --schedule` runs; connected to `post_migrate`
(see `sync_after_migrate`) it is also created by every `migrate`, as governance's schedules are.
"""

from __future__ import annotations

from django.db.models import Model

from mdm.schedules import ScheduleSpec, schedule_ensure

SYNC_SCHEDULE: ScheduleSpec = {
    "name": "connectors-sync-due",
    "func": "connectors.sync_tasks.sync_due_task",
    "minutes": 1,
}


def sync_schedule_ensure(*, schedule_model: type[Model] | None = None) -> tuple[str, str]:
    """Create or correct the sync schedule; (name, created | updated | unchanged)."""
    return SYNC_SCHEDULE["name"], schedule_ensure(spec=SYNC_SCHEDULE, schedule_model=schedule_model)


def sync_after_migrate(*, apps: object = None, **kwargs: object) -> None:
    """A post_migrate handler: the schedule exists after every migrate."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    try:
        schedule_model = apps.get_model("django_q", "Schedule")  # type: ignore[attr-defined]
    except LookupError:
        return
    sync_schedule_ensure(schedule_model=schedule_model)
