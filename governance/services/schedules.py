"""Periodic work of governance, declared in code (`constants.HEALTH_CHECK_SCHEDULE`) and created
idempotently: after every `migrate` (a post_migrate handler) and by `manage.py governance_schedule`."""

from __future__ import annotations

from django.db.models import Model

from governance.constants import HEALTH_CHECK_SCHEDULE
from mdm.schedules import schedule_ensure

SCHEDULES = (HEALTH_CHECK_SCHEDULE,)


def schedules_ensure(*, schedule_model: type[Model] | None = None) -> list[tuple[str, str]]:
    """Create or correct each declared django-q2 schedule; (name, created | updated | unchanged)."""
    return [(spec["name"], schedule_ensure(spec=spec, schedule_model=schedule_model)) for spec in SCHEDULES]
