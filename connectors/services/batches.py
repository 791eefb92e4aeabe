"""The life cycle of an import batch, shared by every kind of import."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import TypeVar

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from connectors.choices import BatchStatus
from connectors.models import ImportBatch, QuarantinedRow
from connectors.readers import BadRow

T = TypeVar("T")
COUNTERS = ("rows_read", "created", "updated", "unchanged", "stale", "rejected", "duplicates", "with_issues")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, so a file is processed one batch at a time."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def quarantine_rows(batch: ImportBatch, bad_rows: list[BadRow]) -> None:
    """Keep rejected rows verbatim with their reasons."""
    QuarantinedRow.objects.bulk_create(
        [
            QuarantinedRow(batch=batch, line_number=r.line_number, raw_text=r.raw_text, reasons=r.reasons)
            for r in bad_rows
        ]
    )


def batch_add_counts(batch: ImportBatch, counts: dict[str, int]) -> None:
    """Add one chunk's counts to the batch, in the chunk's transaction, so counts match what is committed."""
    for name in COUNTERS:
        setattr(batch, name, getattr(batch, name) + counts.get(name, 0))
    batch.save(update_fields=list(COUNTERS))


@contextmanager
def batch_running(*, started: float, **fields: object) -> Iterator[ImportBatch]:
    """Create a batch, and close it when the body ends: succeeded, or failed with the reason
    (the exception still propagates) so that a broken import is never left "running"."""
    batch = ImportBatch.objects.create(**fields)
    try:
        yield batch
    except (Exception, KeyboardInterrupt) as exc:
        message = str(exc) if not isinstance(exc, DatabaseError) else f"database error: {exc}"
        _finish_failed(batch, started=started, error=message or type(exc).__name__)
        raise
    batch_finish(batch, started=started)


def _finish_failed(batch: ImportBatch, *, started: float, error: str) -> None:
    try:
        batch_finish(batch, started=started, error=error)
    except DatabaseError:
        if connection.in_atomic_block:
            raise  # the caller's transaction is broken; it rolls back the batch with it
        # The connection itself is what failed (backend killed, server restarted): record the
        # failure on a new one rather than leave the batch "running" for ever.
        connection.close()
        batch_finish(batch, started=started, error=error)


def batch_finish(batch: ImportBatch, *, started: float, error: str = "") -> None:
    """Close the batch as succeeded or failed, with its duration."""
    batch.finished_at = timezone.now()
    batch.duration_seconds = round(time.perf_counter() - started, 3)
    batch.status = BatchStatus.FAILED if error else BatchStatus.SUCCEEDED
    batch.error = error
    with transaction.atomic():
        batch.save(update_fields=["finished_at", "duration_seconds", "status", "error"])
