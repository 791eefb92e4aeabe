"""Importing activities (orders, tickets, usage…) onto the source records they belong to.

Each row names its source record by (source, source id); a row that names an unknown source
or record, a kind outside the list, or an unreadable time or amount is quarantined. Rows are
identified by a hash of their content, so re-importing a file adds nothing.
"""

from __future__ import annotations

import hashlib
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction

from connectors.choices import ActivityKind, BatchKind
from connectors.models import Activity, ImportBatch, SourceRecord, SourceSystem
from connectors.policies import WRITE_REFUSED_PREFIX, write_refusal
from connectors.readers import BadRow, Row, open_source_file, read_csv
from connectors.services.batches import batch_add_counts, batch_running, chunked, quarantine_rows
from connectors.services.records import parse_source_timestamp

REQUIRED_COLUMNS = ("source", "source_id", "kind", "occurred_at")
_KINDS = set(ActivityKind.values)
_SUMMARY_MAX = Activity._meta.get_field("summary").max_length
_AMOUNT_LIMIT = Decimal("1e12")


class _Sources:
    """The sources an activities file may name, and whether each accepts writes (asked once per source)."""

    def __init__(self) -> None:
        self.by_code = SourceSystem.objects.in_bulk(field_name="code")
        self._refusals: dict[str, str | None] = {}

    def pk(self, code: str) -> int:
        return self.by_code[code].pk

    def refusal(self, code: str) -> str | None:
        if code not in self._refusals:
            self._refusals[code] = write_refusal(self.by_code[code])
        return self._refusals[code]


def _parse(row: Row, sources: _Sources) -> tuple[dict[str, object] | None, list[str]]:
    values = {k: (v or "").strip() if isinstance(v, str) else "" for k, v in row.values.items()}
    reasons = []
    code, source_id, kind = values.get("source", ""), values.get("source_id", ""), values.get("kind", "")
    if code not in sources.by_code:
        reasons.append(f"unknown source {code!r}" if code else "missing source")
    elif refusal := sources.refusal(code):
        reasons.append(WRITE_REFUSED_PREFIX + refusal)
    if not source_id:
        reasons.append("missing source_id")
    if kind not in _KINDS:
        reasons.append(f"unknown kind {kind!r} (expected one of {', '.join(ActivityKind.values)})")
    occurred_at = None
    try:
        occurred_at = parse_source_timestamp(values.get("occurred_at"))
        if occurred_at is None:
            reasons.append("missing occurred_at")
    except ValueError as exc:
        reasons.append(f"occurred_at: {exc}")
    amount = None
    if values.get("amount"):
        try:
            amount = Decimal(values["amount"]).quantize(Decimal("0.01"))
            if not amount.is_finite() or abs(amount) >= _AMOUNT_LIMIT:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            reasons.append(f"amount {values['amount'][:40]!r} is not a number")
    summary = values.get("summary", "")
    if "\x00" in "".join(values.values()):
        reasons.append("contains NUL characters")
    if reasons:
        return None, reasons
    fingerprint = hashlib.sha256(
        "\x1f".join([code, source_id, kind, occurred_at.isoformat(), str(amount), summary]).encode()
    ).hexdigest()
    return {
        "source_pk": sources.pk(code),
        "source_id": source_id,
        "kind": kind,
        "occurred_at": occurred_at,
        "amount": amount,
        "summary": summary[:_SUMMARY_MAX],
        "fingerprint": fingerprint,
        "line": row.line_number,
        "raw": row.raw_text,
    }, []


def _import_chunk(batch: ImportBatch, sources: _Sources, chunk: list[Row | BadRow]) -> None:
    bad: list[BadRow] = []
    parsed: list[dict[str, object]] = []
    for row in chunk:
        if isinstance(row, BadRow):
            bad.append(row)
            continue
        item, reasons = _parse(row, sources)
        if item is None:
            bad.append(BadRow(row.line_number, row.raw_text, reasons))
        else:
            parsed.append(item)
    wanted: dict[int, set[str]] = {}
    for item in parsed:
        wanted.setdefault(item["source_pk"], set()).add(item["source_id"])
    record_ids: dict[tuple[int, str], int] = {}
    for source_pk, ids in wanted.items():
        records = SourceRecord.objects.filter(source=source_pk, external_id__in=ids)
        for pk, sid in records.values_list("pk", "external_id"):
            record_ids[(source_pk, sid)] = pk
    existing = set(
        Activity.objects.filter(fingerprint__in=[p["fingerprint"] for p in parsed]).values_list(
            "fingerprint", flat=True
        )
    )
    new: dict[str, Activity] = {}
    unchanged = 0
    for item in parsed:
        record_pk = record_ids.get((item["source_pk"], item["source_id"]))
        if record_pk is None:
            bad.append(BadRow(item["line"], item["raw"], [f"unknown source record {item['source_id']!r}"]))
            continue
        if item["fingerprint"] in existing or item["fingerprint"] in new:
            unchanged += 1
            continue
        new[item["fingerprint"]] = Activity(
            source_record_id=record_pk,
            kind=item["kind"],
            occurred_at=item["occurred_at"],
            amount=item["amount"],
            summary=item["summary"],
            fingerprint=item["fingerprint"],
            batch=batch,
        )
    counts = {"rows_read": len(chunk), "created": len(new), "unchanged": unchanged, "rejected": len(bad)}
    with transaction.atomic():
        Activity.objects.bulk_create(new.values())
        if bad:
            quarantine_rows(batch, sorted(bad, key=lambda r: r.line_number))
        batch_add_counts(batch, counts)


def activities_import(*, path: Path, actor: str, batch_size: int | None = None) -> ImportBatch:
    """Import an activities CSV (SPEC §3 `import_activities`).

    Raises `connectors.readers.UnreadableFile` when the file as a whole cannot be read. Rows of a
    source whose writes a guard refuses (`connectors.policies`) are quarantined with the reason.
    """
    started = time.perf_counter()
    sources = _Sources()
    with (
        batch_running(
            started=started,
            kind=BatchKind.ACTIVITIES,
            actor=actor,
            file_name=path.name,
            file_size=path.stat().st_size if path.is_file() else None,
        ) as batch,
        open_source_file(path) as stream,
    ):
        rows = read_csv(stream, required=REQUIRED_COLUMNS)
        for chunk in chunked(rows, batch_size or settings.MDM_IMPORT_BATCH_SIZE):
            _import_chunk(batch, sources, chunk)
    return batch
