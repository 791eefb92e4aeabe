"""Catching up webhook publishing with the change log.

A change is handed to `webhook_events_publish` by an on_commit hook, after the change log's
transaction commits: a process that dies between the commit and the hook (or a hook that fails)
would lose those events for webhooks. The periodic `change_publication_catch_up` closes that
window: it republishes the changes after a stored cursor ("published up to"), then moves the
cursor. Publishing is idempotent per (subscription, sequence), so what the hook already did is
recorded once, and the change log commits its sequences in order and without gaps, so nothing
below the cursor can appear later.

Changes younger than `grace` are left to their own hook (still running, most likely) and taken
by a later run; the cursor stops at the first of them, so none is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone

from connectors.services.webhooks import webhook_events_publish
from mdm.schedules import ScheduleSpec, schedule_ensure
from profiles.models import ChangePublishCursor, CustomerChange

WEBHOOKS_CURSOR = "webhooks"
CATCH_UP_BATCH = 1000
CATCH_UP_GRACE = timedelta(seconds=30)
# Declared in code, created idempotently after every migrate (profiles/apps.py).
CATCH_UP_SCHEDULE: ScheduleSpec = {
    "name": "webhooks-catch-up",
    "func": "profiles.tasks.change_publication_catch_up_task",
    "minutes": 1,
}


@dataclass
class CatchUp:
    """What a catch-up run did: changes looked at, deliveries recorded, the cursor before and after."""

    changes: int = 0
    deliveries: int = 0
    cursor_from: int = 0
    cursor_to: int = 0

    def __str__(self) -> str:
        return (
            f"{self.changes} changes after #{self.cursor_from} republished ({self.deliveries} deliveries "
            f"offered); published up to #{self.cursor_to}"
        )


def _event(change: CustomerChange) -> dict[str, object]:
    """The event the commit hook hands over (profiles/services/changes.py), rebuilt from the log."""
    return {
        "sequence": change.sequence,
        "type": str(change.kind),
        "customer_id": change.customer_id,
        "survivor_id": change.survivor_id,
        "attributes": change.attributes,
        "changed_fields": change.changed_fields,
        "origin_source": change.origin_source,
        "occurred_at": change.created_at,
    }


def _cursor_locked() -> ChangePublishCursor:
    """The cursor row, locked until the caller's transaction ends (one catch-up at a time).

    Missing (a new database before its first change, or a flushed one): it starts at the current
    end of the log, as the migration that created it did, rather than resending history."""
    cursor = ChangePublishCursor.objects.select_for_update().filter(name=WEBHOOKS_CURSOR).first()
    if cursor is None:
        last = CustomerChange.objects.aggregate(last=Max("sequence"))["last"] or 0
        ChangePublishCursor.objects.get_or_create(name=WEBHOOKS_CURSOR, defaults={"sequence": last})
        cursor = ChangePublishCursor.objects.select_for_update().get(name=WEBHOOKS_CURSOR)
    return cursor


def change_publication_catch_up(
    *, grace: timedelta = CATCH_UP_GRACE, batch_size: int = CATCH_UP_BATCH, max_batches: int = 50
) -> CatchUp:
    """Republish the changes after the webhooks cursor (older than `grace`) and advance it."""
    result = CatchUp()
    for number in range(max_batches):
        with transaction.atomic():
            cursor = _cursor_locked()
            if number == 0:
                result.cursor_from = cursor.sequence
            cutoff = timezone.now() - grace
            changes = list(
                CustomerChange.objects.filter(sequence__gt=cursor.sequence).order_by("sequence")[:batch_size]
            )
            due = []
            for change in changes:
                if change.created_at > cutoff:
                    break  # its own hook is most likely still on its way; a later run takes it
                due.append(change)
            if due:
                result.deliveries += webhook_events_publish(events=[_event(c) for c in due])
                cursor.sequence = due[-1].sequence
                cursor.save(update_fields=["sequence", "updated_at"])
                result.changes += len(due)
            result.cursor_to = cursor.sequence
        if len(due) < batch_size:
            break
    return result


def change_publication_schedule_ensure(*, schedule_model: type[Model] | None = None) -> str:
    """Create or correct the periodic catch-up schedule; created | updated | unchanged."""
    return schedule_ensure(spec=CATCH_UP_SCHEDULE, schedule_model=schedule_model)
