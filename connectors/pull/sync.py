"""Running pulls: one sync of a source is one import batch through the importer's upsert.

A pull (http-pull, sql-pull, or the identity sync of a virtual source) reads its peer page by
page and writes each page with the chunk functions of `import_records` (same checks, same
created / updated / unchanged / stale classification, same standardisation and single-statement
write, new and changed records pending resolution), so a pulled record and an imported one are
indistinguishable. Pages commit one by one; the source's watermark moves only when the whole
run succeeded, so a run that fails half-way is simply read again (idempotently) next time.

Scheduling: a source is due when `sync_due_at` has passed. A success makes it due again after
half its declared cadence (so syncs stay within it); a failure leaves a failed batch with the
error and doubles the wait with every consecutive failure (capped), never a crash loop. A lease
on the source keeps two workers from pulling it at once.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from connectors.models import ImportBatch, SourceSystem
from connectors.policies import check_write_allowed
from connectors.pull.config import (
    PULL_KINDS,
    SQL_PULL,
    VIRTUALIZATION,
    ConnectorError,
    http_config,
    sql_config,
)
from connectors.pull.http import display_url, http_pages
from connectors.pull.sql import json_value, sql_batches
from connectors.readers import BadRow, Row
from connectors.row_standardisation import RowMapping
from connectors.services.batches import batch_running, chunked
from connectors.services.records import (
    chunk_prepare,
    chunk_write,
    parse_source_timestamp,
    source_row_mapping,
)

DEFAULT_PERIOD = timedelta(minutes=5)
MIN_PERIOD = timedelta(minutes=1)
MAX_BACKOFF = timedelta(days=1)
LEASE = timedelta(hours=1)
_MAX_RAW_TEXT = 100_000
logger = logging.getLogger(__name__)


class SyncNotPossible(Exception):
    """The source has no pull connector, or another worker is pulling it right now."""


@dataclass
class SyncResult:
    """What one scheduled sync did: the batch, or why there was none."""

    source: str
    batch: ImportBatch | None
    error: str = ""


def sync_period(source: SourceSystem) -> timedelta:
    """How often a source is pulled: half its declared cadence (the longest expected gap between
    syncs), so a healthy connector keeps it fresh; 5 minutes for a source without one.

    The cadence belongs to the governance catalog; it is read through the reverse relation, which
    needs no import of that app (a missing integration raises an AttributeError subclass)."""
    cadence = getattr(getattr(source, "integration", None), "cadence", None)
    if not cadence:
        return DEFAULT_PERIOD
    return max(MIN_PERIOD, cadence / 2)


def sync_backoff(*, period: timedelta, failures: int) -> timedelta:
    """The wait after `failures` consecutive failures: the period doubled each time, capped."""
    return min(period * 2 ** min(failures, 20), max(period, MAX_BACKOFF))


class _Watermark:
    """The greatest watermark value seen: by time when values are timestamps, else by number, else text."""

    def __init__(self, start: str) -> None:
        self.value = start
        self._key = self._order(start) if start else None

    @staticmethod
    def _order(value: object) -> tuple:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (1, float(value), "")
        text = str(value).strip()
        try:
            return (2, float(text), "")
        except ValueError:
            pass
        try:
            stamp = parse_source_timestamp(text)
        except ValueError:
            stamp = None
        if stamp is not None:
            return (0, stamp.timestamp(), "")
        return (3, 0.0, text)

    def see(self, value: object) -> None:
        if value is None or value == "" or isinstance(value, dict | list | bool):
            return
        key = self._order(value)
        if self._key is None or (key[0] == self._key[0] and key > self._key):
            self.value, self._key = str(value), key


def _rows(records: list[object], *, start_line: int, keep: set[str] | None) -> list[Row | BadRow]:
    """Records of a page as the importer's rows (their position in the run as line number)."""
    rows: list[Row | BadRow] = []
    for line, record in enumerate(records, start=start_line):
        raw_text = json.dumps(record, ensure_ascii=False, default=str)[:_MAX_RAW_TEXT]
        if not isinstance(record, dict):
            rows.append(BadRow(line, raw_text, [f"not a JSON object but {type(record).__name__}"]))
            continue
        values = record if keep is None else {k: v for k, v in record.items() if k in keep}
        rows.append(Row(line, values, raw_text))
    return rows


def _write_rows(batch: ImportBatch, source: SourceSystem, mapping: RowMapping, rows: list[Row | BadRow]) -> None:
    for chunk in chunked(rows, settings.MDM_IMPORT_BATCH_SIZE):
        chunk_write(batch, source, mapping, chunk_prepare(batch, source, chunk))


def _identity_columns(source: SourceSystem) -> set[str]:
    """What a virtual source's identity sync keeps: its id, updated-at and mapped columns."""
    columns = {spec["field"] for spec in source.mapping.values()}
    return columns | {source.id_field} | ({source.updated_at_field} if source.updated_at_field else set())


def _pull_http(batch: ImportBatch, source: SourceSystem, mapping: RowMapping) -> str:
    config = http_config(source.connector, updated_at_field=source.updated_at_field)
    keep = _identity_columns(source) if source.connector["kind"] == VIRTUALIZATION else None
    watermark = _Watermark(source.sync_watermark)
    line = 1
    for records in http_pages(config, watermark=source.sync_watermark):
        if config.watermark_field:
            for record in records:
                if isinstance(record, dict):
                    watermark.see(record.get(config.watermark_field))
        _write_rows(batch, source, mapping, _rows(records, start_line=line, keep=keep))
        line += len(records)
    return watermark.value


def _pull_sql(batch: ImportBatch, source: SourceSystem, mapping: RowMapping) -> str:
    config = sql_config(source.connector, id_field=source.id_field)
    watermark = _Watermark(source.sync_watermark)
    line = 1
    for rows in sql_batches(config, watermark=source.sync_watermark):
        for row in rows:
            watermark.see(json_value(row.get(config.watermark_column)))
        _write_rows(batch, source, mapping, _rows(rows, start_line=line, keep=None))
        line += len(rows)
    return watermark.value


def _described(source: SourceSystem) -> str:
    block = source.connector
    if block.get("kind") == SQL_PULL:
        return f"table {block['table']}" if block.get("table") else "query"
    return display_url(block.get("url", ""))[:500]


def _claim(source: SourceSystem, now: datetime) -> bool:
    free = Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now)
    return bool(SourceSystem.objects.filter(free, pk=source.pk).update(sync_lease_until=now + LEASE))


def source_sync(*, source: SourceSystem, actor: str) -> ImportBatch:
    """Pull the source once now (`manage.py sync SOURCE`): one import batch, succeeded or failed.

    A failure (peer down, bad answer, missing secret, write refused) never raises: it is the
    failed batch's error, the source's consecutive failures grow and its next run waits longer.
    Raises `SyncNotPossible` when the source has no pull connector or is being pulled already.
    """
    kind = (source.connector or {}).get("kind")
    if kind not in PULL_KINDS:
        raise SyncNotPossible(f"source {source.code!r} has no pull connector (kind: {kind or 'none'})")
    if kind == VIRTUALIZATION and not source.connector.get("url"):
        raise SyncNotPossible(f"virtual source {source.code!r} declares no url to sync its identity attributes from")
    now = timezone.now()
    if not _claim(source, now):
        raise SyncNotPossible(f"source {source.code!r} is being synced by another run")
    source.refresh_from_db()  # the watermark and failures as committed, not as loaded earlier
    started = time.perf_counter()
    before = source.sync_watermark
    batch: ImportBatch | None = None
    failed = True
    try:
        mapping = source_row_mapping(source)
        with batch_running(
            started=started,
            source=source,
            kind=kind,
            actor=actor[:150],
            file_name=_described(source),
            watermark_before=before,
            watermark_after=before,
        ) as batch:
            check_write_allowed(source)
            pull = _pull_sql if kind == SQL_PULL else _pull_http
            batch.watermark_after = pull(batch, source, mapping) or ""
            batch.save(update_fields=["watermark_after"])
        failed = False
    except Exception:  # the batch holds the error; a connector must not take the scheduler down
        if batch is None:
            raise
    finally:
        _after_run(source, failed=failed, watermark=None if failed or batch is None else batch.watermark_after)
    return batch


def _after_run(source: SourceSystem, *, failed: bool, watermark: str | None) -> None:
    """Record the outcome on the source: watermark, failures, next due time; release the lease."""
    now = timezone.now()
    period = sync_period(source)
    failures = source.sync_failures + 1 if failed else 0
    fields: dict[str, object] = {
        "sync_failures": failures,
        "sync_due_at": now + (sync_backoff(period=period, failures=failures) if failed else period),
        "sync_lease_until": None,
    }
    if watermark is not None:
        fields["sync_watermark"] = watermark
    SourceSystem.objects.filter(pk=source.pk).update(**fields)
    for name, value in fields.items():
        setattr(source, name, value)


def sync_due_list(*, now: datetime | None = None) -> list[SourceSystem]:
    """Sources with a pull connector whose next sync is due."""
    now = now or timezone.now()
    due = SourceSystem.objects.filter(connector__kind__in=list(PULL_KINDS)).filter(
        Q(sync_due_at__isnull=True) | Q(sync_due_at__lte=now)
    )
    return [
        s
        for s in due.order_by("sync_due_at", "code")
        if s.connector["kind"] != VIRTUALIZATION or s.connector.get("url")
    ]


def sources_sync_due(*, actor: str, now: datetime | None = None) -> list[SyncResult]:
    """Pull every due source once (`manage.py sync --all`, and the every-minute schedule)."""
    results = []
    for source in sync_due_list(now=now):
        try:
            batch = source_sync(source=source, actor=actor)
        except (SyncNotPossible, ConnectorError) as exc:
            results.append(SyncResult(source.code, None, str(exc)))
            continue
        except Exception as exc:  # one broken source must not stop the others
            logger.exception("sync of %s failed before its batch was created", source.code)
            results.append(SyncResult(source.code, None, f"{type(exc).__name__}: {exc}"))
            continue
        results.append(SyncResult(source.code, batch, batch.error))
    return results
