"""Signed change events from a source (connector kind `events`): verified, then applied in order.

A source POSTs create / update / delete events of its records, signed with a shared secret:
`X-MDM-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>` and
`X-MDM-Timestamp: <unix seconds>`. The signature is the authentication; the timestamp bounds
how long a captured request could be replayed (5 minutes) and each event id is accepted once.

One request is one import batch, applied all or nothing. Its events are applied in the order
of their source timestamps (`occurred_at`), each through the importer's chunk functions, so the
stale rule of `import_records` holds across requests too: an event older than the state held
(by the source's updated-at field, filled from `occurred_at` when the record lacks it) is
counted stale and changes nothing. A delete older than the state held is stale as well, and a
delete moves the record's updated-at forward so that an older update arriving later stays out.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connectors.choices import BatchKind
from connectors.models import ImportBatch, SourceEvent, SourceRecord, SourceSystem
from connectors.policies import check_write_allowed
from connectors.pull.config import EVENTS
from connectors.readers import BadRow, Row
from connectors.row_standardisation import RowMapping
from connectors.services.batches import batch_add_counts, batch_running, quarantine_rows
from connectors.services.records import (
    chunk_prepare,
    chunk_write,
    parse_source_timestamp,
    source_row_mapping,
)
from connectors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, body_signature

TOLERANCE_SECONDS = 300
MAX_EVENTS_PER_REQUEST = 1000
ACTIONS = ("create", "update", "delete")
_MAX_RAW_TEXT = 100_000
_ID_MAX = SourceEvent._meta.get_field("event_id").max_length

# Deleting a record the way the MDM does (unlink, recompute its golden record), passed in by the
# caller because connectors imports no other app; without it the record is only marked deleted.
RecordDelete = Callable[[SourceRecord], object]


class EventsRejected(Exception):
    """The request as a whole is refused (too many events, not a list of events)."""


def event_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The `X-MDM-Signature` value of a body sent at `timestamp` (connectors/signing.py)."""
    return body_signature(secret=secret, timestamp=timestamp, body=body)


def event_signature_problem(
    *, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> str | None:
    """Why a request's signature or timestamp is not acceptable, or None when it is."""
    if not signature:
        return f"missing {SIGNATURE_HEADER} header"
    if not timestamp or not timestamp.strip().isdigit():
        return f"missing or invalid {TIMESTAMP_HEADER} header (unix seconds expected)"
    if not hmac.compare_digest(signature.strip(), event_signature(secret=secret, timestamp=timestamp, body=body)):
        return "bad signature"
    age = (time.time() if now is None else now) - int(timestamp)
    if age > TOLERANCE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS // 60} minutes old"
    if age < -TOLERANCE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS // 60} minutes in the future"
    return None


@dataclass
class EventOutcome:
    """What happened to one event of the request (`index` is its position, from 0)."""

    index: int
    event_id: str | None
    outcome: str  # created | updated | unchanged | stale | deleted | replayed | rejected
    source_id: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class _Event:
    index: int
    event_id: str
    action: str
    occurred_at: datetime
    source_id: str
    record: dict[str, object]
    raw_text: str


def _raw_text(item: object) -> str:
    return json.dumps(item, ensure_ascii=False, default=str)[:_MAX_RAW_TEXT]


def _parse_event(index: int, item: object, source: SourceSystem) -> _Event | list[str]:
    """A well-formed event, or why it is not one."""
    if not isinstance(item, dict):
        return [f"an event must be a JSON object, not {type(item).__name__}"]
    errors = [f"unknown key {k!r}" for k in sorted(set(item) - {"id", "type", "occurred_at", "record", "source_id"})]
    event_id = item.get("id")
    if not isinstance(event_id, str | int) or isinstance(event_id, bool) or not str(event_id).strip():
        errors.append("id: required, a non-empty string")
    elif len(str(event_id)) > _ID_MAX:
        errors.append(f"id: longer than {_ID_MAX} characters")
    action = item.get("type")
    if action not in ACTIONS:
        errors.append(f"type: {action!r} is not one of {', '.join(ACTIONS)}")
    occurred_at = None
    try:
        occurred_at = parse_source_timestamp(item.get("occurred_at"))
        if occurred_at is None:
            errors.append("occurred_at: required, an ISO 8601 timestamp")
    except ValueError as exc:
        errors.append(f"occurred_at: {exc}")
    record = item.get("record", {})
    if not isinstance(record, dict) or (action != "delete" and not record):
        errors.append("record: required, a JSON object of the record's fields")
        record = {}
    source_id = item.get("source_id", record.get(source.id_field))
    source_id = "" if source_id is None or isinstance(source_id, dict | list | bool) else str(source_id).strip()
    if not source_id:
        errors.append(f"source_id: required (or the record's {source.id_field!r} field)")
    elif len(source_id) > _ID_MAX:
        errors.append(f"source_id: longer than {_ID_MAX} characters")
    elif record.get(source.id_field) not in (None, "") and str(record[source.id_field]).strip() != source_id:
        errors.append(f"source_id {source_id!r} differs from the record's {source.id_field!r}")
    if errors:
        return errors
    return _Event(index, str(event_id).strip(), action, occurred_at, source_id, record, _raw_text(item))


def _apply_delete(event: _Event, source: SourceSystem, batch: ImportBatch, record_delete: RecordDelete | None) -> str:
    record = SourceRecord.objects.select_for_update().filter(source=source, external_id=event.source_id).first()
    if record is None or record.is_deleted:
        outcome = "unchanged"
    elif record.source_updated_at and event.occurred_at < record.source_updated_at:
        outcome = "stale"
    else:
        record.source_updated_at = event.occurred_at
        record.received_at = timezone.now()
        record.last_batch = batch
        record.save(update_fields=["source_updated_at", "received_at", "last_batch"])
        if record_delete is not None:
            record_delete(record)
        else:
            SourceRecord.objects.filter(pk=record.pk).update(is_deleted=True, customer=None, pending_resolution=False)
        outcome = "deleted"
    counted = {"deleted": "updated"}.get(outcome, outcome)
    batch_add_counts(batch, {"rows_read": 1, counted: 1})
    return outcome


def _apply_upsert(event: _Event, source: SourceSystem, batch: ImportBatch, mapping: RowMapping) -> str:
    values = dict(event.record)
    values[source.id_field] = values.get(source.id_field) or event.source_id
    if values.get(source.updated_at_field) in (None, ""):
        values[source.updated_at_field] = event.occurred_at.isoformat()
    prepared = chunk_prepare(batch, source, [Row(event.index + 1, values, event.raw_text)])
    chunk_write(batch, source, mapping, prepared)
    if prepared.bad:
        return "rejected"
    return next(name for name in ("created", "updated", "unchanged", "stale") if prepared.counts.get(name))


def source_events_apply(
    *, source: SourceSystem, events: object, actor: str, record_delete: RecordDelete | None = None
) -> tuple[ImportBatch, list[EventOutcome]]:
    """Apply a verified request's events (one event object or a list) as one import batch.

    Events already received (by id) are `replayed` and change nothing; malformed ones are
    quarantined (`rejected`); the rest are applied oldest first. Raises `EventsRejected` for a
    request that is not events at all, and `WriteRefused` when governance refuses writes to the
    source (the batch is then kept as failed with the reason).
    """
    if (source.connector or {}).get("kind") != EVENTS:
        raise EventsRejected(f"source {source.code!r} does not take events")
    items = events if isinstance(events, list) else [events]
    if isinstance(events, dict) and "events" in events and set(events) == {"events"}:
        items = events["events"] if isinstance(events["events"], list) else [events["events"]]
    if not items:
        raise EventsRejected("no events in the request")
    if len(items) > MAX_EVENTS_PER_REQUEST:
        raise EventsRejected(f"{len(items)} events in one request, at most {MAX_EVENTS_PER_REQUEST}")
    started = time.perf_counter()
    mapping = source_row_mapping(source)
    outcomes: dict[int, EventOutcome] = {}
    with batch_running(
        started=started, source=source, kind=BatchKind.EVENTS, actor=actor[:150], file_name="events"
    ) as batch:
        check_write_allowed(source)
        with transaction.atomic():
            # One request of a source at a time: the stale rule compares with the state held, which
            # a concurrent request must not change between the comparison and the write.
            list(SourceSystem.objects.select_for_update().filter(pk=source.pk).values_list("pk", flat=True))
            parsed: list[_Event] = []
            bad: list[BadRow] = []
            for index, item in enumerate(items):
                result = _parse_event(index, item, source)
                if isinstance(result, list):
                    event_id = item.get("id") if isinstance(item, dict) else None
                    outcomes[index] = EventOutcome(
                        index, str(event_id) if event_id is not None else None, "rejected", errors=result
                    )
                    bad.append(BadRow(index + 1, _raw_text(item), result))
                else:
                    parsed.append(result)
            if bad:
                quarantine_rows(batch, bad)
                batch_add_counts(batch, {"rows_read": len(bad), "rejected": len(bad)})
            known = set(
                SourceEvent.objects.filter(source=source, event_id__in={e.event_id for e in parsed}).values_list(
                    "event_id", flat=True
                )
            )
            fresh: list[_Event] = []
            for event in parsed:
                if event.event_id in known:
                    outcomes[event.index] = EventOutcome(event.index, event.event_id, "replayed", event.source_id)
                    continue
                known.add(event.event_id)
                fresh.append(event)
            seen = []
            for event in sorted(fresh, key=lambda e: (e.occurred_at, e.index)):
                if event.action == "delete":
                    outcome = _apply_delete(event, source, batch, record_delete)
                else:
                    outcome = _apply_upsert(event, source, batch, mapping)
                outcomes[event.index] = EventOutcome(event.index, event.event_id, outcome, event.source_id)
                if outcome == "rejected":  # quarantined: a corrected event may come again with the same id
                    continue
                seen.append(
                    SourceEvent(
                        source=source,
                        event_id=event.event_id,
                        action=event.action,
                        external_id=event.source_id,
                        occurred_at=event.occurred_at,
                        outcome=outcome,
                        batch=batch,
                    )
                )
            SourceEvent.objects.bulk_create(seen)
    return batch, [outcomes[i] for i in range(len(items))]


def source_events_reject(*, source: SourceSystem, raw_text: str, reason: str, actor: str) -> ImportBatch:
    """Keep a signed request that is not readable as events (bad JSON) in quarantine, as one batch."""
    started = time.perf_counter()
    with (
        batch_running(
            started=started, source=source, kind=BatchKind.EVENTS, actor=actor[:150], file_name="events"
        ) as batch,
        transaction.atomic(),
    ):
        quarantine_rows(batch, [BadRow(1, raw_text[:_MAX_RAW_TEXT].replace("\x00", "\\0"), [reason])])
        batch_add_counts(batch, {"rows_read": 1, "rejected": 1})
    return batch
