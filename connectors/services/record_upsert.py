"""Upserting source records sent one request at a time (the REST API), with the importer's semantics.

An API call is an import batch of its own: the same checks (`_accept`), the same classification
(created / updated / unchanged / stale, last duplicate winning), the same standardisation and the
same single-statement write as `import_records`, and rejected records are quarantined under the
call's batch, so governance health and the source pages count API writes like file imports.
Unlike a file, a request is all or nothing for its good records: records, quarantine, counts and
the follow-up (real-time resolution, passed in by the caller because connectors imports no other
app) commit in one transaction, and a failure anywhere leaves nothing but the failed batch.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction

from connectors.choices import BatchKind
from connectors.models import ImportBatch, SourceRecord, SourceSystem
from connectors.policies import check_write_allowed
from connectors.readers import BadRow, Row
from connectors.services.batches import batch_running
from connectors.services.records import (
    AcceptedRow,
    PreparedChunk,
    _accept,
    _Stored,
    _stored_states,
    chunk_classify,
    chunk_write,
    source_row_mapping,
)

MAX_RECORDS_PER_REQUEST = 1000
API_BATCH_NAME = "api"
_MAX_RAW_TEXT = 100_000  # characters of a rejected record kept in quarantine
RECORD_LOCK = 0x4D444D55  # "MDMU": advisory lock space of (source, id) during an API upsert

# Record ids to resolve -> {record id: golden record id}; called inside the write's transaction.
Resolver = Callable[[list[int]], dict[int, int]]


class TooManyRecords(Exception):
    """More records in one request than `MAX_RECORDS_PER_REQUEST`."""


@dataclass
class RecordOutcome:
    """What happened to one record of the request (`index` is its position, from 0)."""

    index: int
    source_id: str | None
    outcome: str  # created | updated | unchanged | stale | rejected
    record_id: int | None = None
    customer_id: int | None = None
    errors: list[str] = field(default_factory=list)
    issues: dict[str, str] = field(default_factory=dict)


@dataclass
class UpsertResult:
    batch: ImportBatch
    records: list[RecordOutcome]

    @property
    def counts(self) -> dict[str, int]:
        return self.batch.counts()


def _raw_text(item: object) -> str:
    return json.dumps(item, ensure_ascii=False, default=str)[:_MAX_RAW_TEXT]


def _as_row(index: int, item: object, source: SourceSystem) -> Row | BadRow:
    """A request item as the importer's row (line number = position from 1), or why it is refused
    before the importer's own checks: not an object, or an id that is neither text nor a whole number."""
    line = index + 1
    if not isinstance(item, dict):
        kind = "null" if item is None else type(item).__name__
        return BadRow(line, _raw_text(item), [f"record {index} is not a JSON object (found {kind})"])
    raw_id = item.get(source.id_field)
    if isinstance(raw_id, bool | float | dict | list):
        kind = type(raw_id).__name__
        return BadRow(line, _raw_text(item), [f"id field {source.id_field!r} must be text or an integer, not {kind}"])
    text = _raw_text(item)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates ("\ud800"): valid JSON escapes, not storable text
        escaped = json.dumps(item, default=str)[:_MAX_RAW_TEXT]
        return BadRow(line, escaped, [f"record {index} contains characters that are not valid Unicode"])
    return Row(line, item, text)


def _readable_id(item: object, source: SourceSystem) -> str | None:
    value = item.get(source.id_field) if isinstance(item, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip()[:255] or None


def source_records_upsert(
    *,
    source: SourceSystem,
    records: Sequence[object],
    actor: str,
    resolve: Resolver | None = None,
) -> UpsertResult:
    """Upsert records of one source (each a dict keyed by the source's own columns) and report
    each one's outcome; `resolve` links the new, changed and still unresolved ones to golden
    records in the same transaction.

    Raises `TooManyRecords` above the per-request limit and `WriteRefused` when a write guard
    (governance policy) refuses the source; the batch is then kept as failed with the reason.
    """
    if len(records) > MAX_RECORDS_PER_REQUEST:
        raise TooManyRecords(f"at most {MAX_RECORDS_PER_REQUEST} records per request; this one has {len(records)}")
    started = time.perf_counter()
    mapping = source_row_mapping(source)
    with batch_running(
        started=started, source=source, kind=BatchKind.RECORDS, actor=actor[:150], file_name=API_BATCH_NAME
    ) as batch:
        check_write_allowed(source)
        checked: list[AcceptedRow | BadRow] = []
        for index, item in enumerate(records):
            row = _as_row(index, item, source)
            checked.append(row if isinstance(row, BadRow) else _accept(row, source))
        accepted = [c for c in checked if isinstance(c, AcceptedRow)]
        bad = [c for c in checked if isinstance(c, BadRow)]
        with transaction.atomic():
            ids = {a.source_id for a in accepted}
            _lock_ids(source, ids)
            # Read under the write's transaction, so concurrent requests for the same ids see
            # each other's commits where the database allows.
            stored = {sid: _Stored(h, u, d, b) for sid, h, u, d, b in _stored_states(source, ids)}
            counts, to_write = chunk_classify(accepted, stored, batch.pk)
            chunk_write(batch, source, mapping, PreparedChunk(len(records), bad, counts, to_write))
            held = _held_records(source, ids)
            wanted = [
                pk for sid, (pk, customer, pending, _) in held.items() if sid in to_write or not customer or pending
            ]
            if resolve is not None and wanted:
                resolve(sorted(wanted))
                held = _held_records(source, ids)
        batch.refresh_from_db()
    return UpsertResult(batch, _outcomes(records, checked, held, source))


def _lock_ids(source: SourceSystem, ids: set[str]) -> None:
    """Serialise concurrent requests that touch the same records, until this transaction ends.

    Without it two requests read the same stored state, both classify their record as newer
    and the later commit overwrites the newer one (a lost update), and their inserts of the same
    new ids, in different orders, deadlock. Transaction-level advisory locks on (source, id),
    taken in one sorted order, make each request see the other's commit first. PostgreSQL only:
    SQLite serialises all writers anyway."""
    if connection.vendor != "postgresql" or not ids:
        return
    keys = sorted({zlib.crc32(f"{source.pk}:{sid}".encode()) - 2**31 for sid in ids})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(%s::int[]) AS k", [RECORD_LOCK, keys])


def _held_records(source: SourceSystem, ids: set[str]) -> dict[str, tuple[int, int | None, bool, dict]]:
    """external id -> (record id, live golden record id, pending resolution, quality issues)."""
    rows = SourceRecord.objects.filter(source=source, external_id__in=ids).values_list(
        "external_id", "pk", "customer_id", "customer__merged_into_id", "pending_resolution", "quality_issues"
    )
    # A record linked to a retired id reports the survivor (retired ids always redirect to a live one).
    return {sid: (pk, into or customer, pending, issues or {}) for sid, pk, customer, into, pending, issues in rows}


def _outcomes(
    records: Sequence[object],
    checked: list[AcceptedRow | BadRow],
    held: dict[str, tuple[int, int | None, bool, dict]],
    source: SourceSystem,
) -> list[RecordOutcome]:
    outcomes = []
    for index, (item, result) in enumerate(zip(records, checked, strict=True)):
        if isinstance(result, BadRow):
            outcomes.append(RecordOutcome(index, _readable_id(item, source), "rejected", errors=list(result.reasons)))
            continue
        record_id, customer_id, _, issues = held.get(result.source_id, (None, None, False, {}))
        outcomes.append(
            RecordOutcome(index, result.source_id, result.outcome, record_id, customer_id, issues=dict(issues))
        )
    return outcomes
