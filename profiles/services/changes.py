"""The change log of golden records: what the changes feed and webhooks serve.

A consumer keeps the last `sequence` it saw and asks for the changes after it, so the log must
never let a lower sequence commit after a higher one is visible. Plain auto-increment ids do not
give that: two transactions take ids 5 and 6, the one with 6 commits first, a consumer reads 6
and moves its cursor past 5 for ever. Writers therefore serialise on a transaction-level
PostgreSQL advisory lock taken just before they append and held until they commit, and number
their rows after the highest committed sequence, so sequences commit in order and without gaps
(a rolled-back writer leaves no hole either). On SQLite, writers are serialised by the database
itself (`transaction_mode = IMMEDIATE`). Append as the last write of a transaction: the lock is
held until commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from connectors.services.webhooks import webhook_events_publish
from mdm.bulk import bulk_insert_rows
from profiles.choices import ChangeKind
from profiles.constants import CHANGE_LOG_LOCK
from profiles.models import CustomerChange

# Within one transaction: the surviving and new records first, then the ids that went away.
KIND_ORDER = {
    ChangeKind.CREATED: 0,
    ChangeKind.SPLIT: 1,
    ChangeKind.UPDATED: 2,
    ChangeKind.MERGED: 3,
    ChangeKind.DELETED: 4,
}
RECORDS_FIELD = "source_records"  # in changed_fields when the record's xrefs changed
CHANGE_COLUMNS = (
    "sequence",
    "customer",
    "kind",
    "survivor",
    "attributes",
    "changed_fields",
    "actor",
    "origin_source",
    "created_at",
)
# The source whose write is being applied (API upsert, event, pull), so outbound sync can avoid
# echoing a change back to the system it came from.
_origin_source: ContextVar[str] = ContextVar("change_origin_source", default="")


@contextlib.contextmanager
def change_origin(source_code: str) -> Iterator[None]:
    """Mark every change appended inside the block as caused by `source_code`."""
    token = _origin_source.set(source_code)
    try:
        yield
    finally:
        _origin_source.reset(token)


@dataclass
class Change:
    """One entry to append."""

    customer_id: int
    kind: str
    survivor_id: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    changed_fields: list[str] = field(default_factory=list)


def _serialise_writers() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_LOG_LOCK])


def customer_changes_append(*, changes: Iterable[Change], actor: str) -> int:
    """Append changes in the caller's transaction; returns how many were appended."""
    ordered = sorted(changes, key=lambda c: (KIND_ORDER[c.kind], c.customer_id))
    if not ordered:
        return 0
    with transaction.atomic(savepoint=False):
        _serialise_writers()
        last = CustomerChange.objects.aggregate(last=Max("sequence"))["last"] or 0
        now = timezone.now()
        origin = _origin_source.get()
        rows = [
            (
                last + i,
                change.customer_id,
                change.kind,
                change.survivor_id,
                change.attributes,
                change.changed_fields,
                actor[:150],
                origin,
                now,
            )
            for i, change in enumerate(ordered, start=1)
        ]
        bulk_insert_rows(model=CustomerChange, fields=CHANGE_COLUMNS, rows=rows)
        # Webhooks: handed over once the changes are committed (nothing for a rolled-back write).
        events = [
            {
                "sequence": row[0],
                "type": str(row[2]),
                "customer_id": row[1],
                "survivor_id": row[3],
                "attributes": row[4],
                "changed_fields": row[5],
                "origin_source": origin,
                "occurred_at": now,
            }
            for row in rows
        ]
        transaction.on_commit(partial(webhook_events_publish, events=events), robust=True)
    return len(rows)
