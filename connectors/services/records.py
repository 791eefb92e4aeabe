"""Importing source records: read a file streaming, standardise, upsert by (source, source id).

Each row ends as exactly one of created / updated / unchanged / stale / rejected, so the counts
always add up to the rows read. Rows are written one chunk at a time in one transaction per
chunk (records, quarantine and the batch's counts together); a failure leaves earlier chunks
committed and the batch marked failed, and re-running the file converges because the upsert
is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.choices import BatchKind
from connectors.models import ImportBatch, SourceRecord, SourceSystem
from connectors.policies import check_write_allowed
from connectors.readers import BadRow, Row, file_format, open_source_file, read_rows
from connectors.row_standardisation import RowMapping, standardise_rows
from connectors.services.batches import batch_add_counts, batch_running, chunked, quarantine_rows
from connectors.standardisation import CANONICAL_ATTRIBUTES, MATCH_KEYS
from mdm.bulk import copy_from_stdin

_SOURCE_ID_MAX = SourceRecord._meta.get_field("external_id").max_length
CANONICAL_MAX_LENGTHS = {
    name: SourceRecord._meta.get_field(name).max_length
    for name in (*CANONICAL_ATTRIBUTES, *MATCH_KEYS)
    if getattr(SourceRecord._meta.get_field(name), "max_length", None)
}
# Columns rewritten when a record changes; the link to its golden record is not among them.
UPSERT_FIELDS = [
    "raw",
    *CANONICAL_ATTRIBUTES,
    *MATCH_KEYS,
    "quality_issues",
    "source_updated_at",
    "received_at",
    "content_hash",
    "is_deleted",
    "pending_resolution",
    "last_batch",
]


def source_row_mapping(source: SourceSystem) -> RowMapping:
    """How a row of this source becomes canonical attributes: its mapping, region and field limits."""
    return RowMapping.of(source.mapping, region=source.default_country or None, max_lengths=CANONICAL_MAX_LENGTHS)


@dataclass(slots=True)
class _Stored:
    """What the upsert needs to know of a record already held."""

    content_hash: str
    updated_at: datetime | None
    is_deleted: bool
    last_batch_id: int | None


@dataclass(slots=True)
class AcceptedRow:
    row: Row
    source_id: str
    updated_at: datetime | None
    content_hash: str
    issues: dict[str, str]
    outcome: str = ""  # set by chunk_classify; the API reports it per record


def content_hash(values: dict[str, object]) -> str:
    """A stable hash of a row's raw values: identical rows hash the same whatever their column order."""
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def parse_source_timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp (a date alone is midnight); naive ones are taken as UTC."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = parse_datetime(text)
        if parsed is None and len(text) == 10:
            parsed = parse_datetime(text + "T00:00:00")
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(f"{text[:60]!r} is not an ISO 8601 timestamp")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def _has_nul(row: Row) -> bool:
    """NUL characters anywhere in the row (PostgreSQL cannot store them in text).

    The raw text answers for nearly every row at once: a NUL is either in it as is (CSV) or
    escaped as \\u0000 (JSON); only then are the values looked at."""
    if "\x00" not in row.raw_text and "\\u0000" not in row.raw_text:
        return False
    values = row.values
    return any(isinstance(v, str) and "\x00" in v for v in values.values()) or any("\x00" in k for k in values)


def _accept(row: Row, source: SourceSystem) -> AcceptedRow | BadRow:
    """Check the parts of a row that decide whether it can be kept at all."""
    values = row.values
    if source.id_field not in values:
        return BadRow(row.line_number, row.raw_text, [f"no id field {source.id_field!r} in the row"])
    raw_id = values[source.id_field]
    source_id = "" if raw_id is None or isinstance(raw_id, dict | list) else str(raw_id).strip()
    if not source_id:
        return BadRow(row.line_number, row.raw_text, [f"missing id: field {source.id_field!r} is empty"])
    if len(source_id) > _SOURCE_ID_MAX:
        return BadRow(row.line_number, row.raw_text, [f"id longer than {_SOURCE_ID_MAX} characters"])
    if _has_nul(row):
        return BadRow(row.line_number, row.raw_text.replace("\x00", "\\0"), ["contains NUL characters"])
    issues: dict[str, str] = {}
    updated_at = None
    if source.updated_at_field:
        try:
            updated_at = parse_source_timestamp(values.get(source.updated_at_field))
        except ValueError as exc:
            issues["updated_at"] = f"field {source.updated_at_field!r}: {exc}"
    return AcceptedRow(row, source_id, updated_at, content_hash(values), issues)


def chunk_classify(
    accepted: list[AcceptedRow], stored: dict[str, _Stored], batch_id: int
) -> tuple[dict[str, int], dict[str, AcceptedRow]]:
    """Decide each row's outcome as if the rows were applied one after another, last one winning."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "stale": 0, "duplicates": 0}
    to_write: dict[str, AcceptedRow] = {}
    seen: set[str] = set()
    for item in accepted:
        current = stored.get(item.source_id)
        if item.source_id in seen or (current is not None and current.last_batch_id == batch_id):
            counts["duplicates"] += 1
        seen.add(item.source_id)
        if current is None:
            outcome = "created"
        elif current.content_hash == item.content_hash and not current.is_deleted:
            outcome = "unchanged"
        elif item.updated_at and current.updated_at and item.updated_at < current.updated_at:
            outcome = "stale"
        else:
            outcome = "updated"
        counts[outcome] += 1
        item.outcome = outcome
        if outcome in ("created", "updated"):
            stored[item.source_id] = _Stored(item.content_hash, item.updated_at, False, batch_id)
            to_write[item.source_id] = item
    return counts, to_write


_INSERT_COLUMNS = ["source_id", "external_id", *(f if f != "last_batch" else "last_batch_id" for f in UPSERT_FIELDS)]


def _write_records(rows: list[dict[str, object]]) -> None:
    """Insert or update these records by (source, external id) in one statement.

    On PostgreSQL the rows are streamed with COPY into a temporary table and merged with one
    INSERT … ON CONFLICT: several times faster than a multi-row INSERT with parameters.
    """
    if connection.vendor != "postgresql":
        SourceRecord.objects.bulk_create(
            [SourceRecord(**row) for row in rows],
            update_conflicts=True,
            unique_fields=["source", "external_id"],
            update_fields=UPSERT_FIELDS,
        )
        return
    table = SourceRecord._meta.db_table
    columns = ", ".join(_INSERT_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _INSERT_COLUMNS[2:])
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS _records_import ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with copy_from_stdin(cursor, f"COPY _records_import ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[c], ensure_ascii=False, default=str) if c in _JSON_COLUMNS else row[c]
                        for c in _INSERT_COLUMNS
                    ]
                )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _records_import "
            f"ON CONFLICT (source_id, external_id) DO UPDATE SET {updates}"
        )
        cursor.execute("TRUNCATE _records_import")


_JSON_COLUMNS = {"raw", "quality_issues"}


@dataclass
class PreparedChunk:
    """A chunk read, checked and classified, waiting for its standardised rows to be written."""

    rows_read: int
    bad: list[BadRow]
    counts: dict[str, int]
    to_write: dict[str, AcceptedRow]


def _stored_states(source: SourceSystem, ids: set[str]) -> list[tuple]:
    """(external id, content hash, updated-at, deleted, last batch) of the stored records among `ids`.

    On PostgreSQL the ids travel as one array parameter: an IN list of thousands of
    placeholders costs more to build and parse than the lookup itself."""
    columns = ("external_id", "content_hash", "source_updated_at", "is_deleted", "last_batch_id")
    if connection.vendor != "postgresql":
        return list(SourceRecord.objects.filter(source=source, external_id__in=ids).values_list(*columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {SourceRecord._meta.db_table} "
            "WHERE source_id = %s AND external_id = ANY(%s)",
            [source.pk, list(ids)],
        )
        return cursor.fetchall()


def chunk_prepare(batch: ImportBatch, source: SourceSystem, chunk: list[Row | BadRow]) -> PreparedChunk:
    """Check each row of a chunk and decide its outcome against what is stored."""
    bad: list[BadRow] = []
    accepted: list[AcceptedRow] = []
    for row in chunk:
        result = row if isinstance(row, BadRow) else _accept(row, source)
        (bad if isinstance(result, BadRow) else accepted).append(result)  # type: ignore[arg-type]
    ids = {a.source_id for a in accepted}
    stored = {sid: _Stored(h, u, d, b) for sid, h, u, d, b in _stored_states(source, ids)}
    counts, to_write = chunk_classify(accepted, stored, batch.pk)
    return PreparedChunk(len(chunk), bad, counts, to_write)


def chunk_write(batch: ImportBatch, source: SourceSystem, mapping: RowMapping, prepared: PreparedChunk) -> None:
    """Standardise and write one chunk: records, quarantine and the batch's counts in one transaction."""
    standardised = standardise_rows(mapping, [(item.row.values, item.issues) for item in prepared.to_write.values()])
    now = timezone.now()
    rows = []
    with_issues = 0
    for (source_id, item), fields in zip(prepared.to_write.items(), standardised, strict=True):
        with_issues += bool(fields["quality_issues"])
        fields.update(
            source_id=source.pk,
            external_id=source_id,
            raw=item.row.values,
            source_updated_at=item.updated_at,
            received_at=now,
            content_hash=item.content_hash,
            is_deleted=False,
            pending_resolution=True,
            last_batch_id=batch.pk,
        )
        rows.append(fields)
    counts = {**prepared.counts, "rows_read": prepared.rows_read, "rejected": len(prepared.bad)}
    counts["with_issues"] = with_issues
    with transaction.atomic():
        if rows:
            _write_records(rows)
        if prepared.bad:
            quarantine_rows(batch, prepared.bad)
        batch_add_counts(batch, counts)


def records_import(
    *,
    source: SourceSystem,
    path: Path,
    actor: str,
    force_json: bool = False,
    encoding: str = "utf-8",
    batch_size: int | None = None,
) -> ImportBatch:
    """Import a CSV or JSON Lines file of source records (SPEC §3 `import_records`).

    Raises `UnreadableFile` when the file as a whole cannot be read, and `WriteRefused` when a
    write guard (a governance policy) refuses writes to the source; the batch is then kept as
    failed with the reason. Row-level problems never raise: they are quarantined.
    """
    started = time.perf_counter()
    fmt = file_format(path, force_json=force_json)
    size = path.stat().st_size if path.is_file() else None
    mapping = source_row_mapping(source)
    size_limit = batch_size or settings.MDM_IMPORT_BATCH_SIZE
    with batch_running(
        started=started, source=source, kind=BatchKind.RECORDS, actor=actor, file_name=path.name, file_size=size
    ) as batch:
        check_write_allowed(source)
        with open_source_file(path) as stream:
            for chunk in chunked(read_rows(stream, fmt, encoding=encoding), size_limit):
                chunk_write(batch, source, mapping, chunk_prepare(batch, source, chunk))
    return batch
