"""Fault injected into an import: the database connection of `import_records` is killed mid-file.

The fault is `pg_terminate_backend(pid)` on the importer's own server process, sent from another
connection while the import streams a large file in a thread: to the importer this is exactly
what a database restart looks like (the connection drops, the open transaction is rolled back),
without restarting the shared server. Then: every chunk committed before the fault is whole
(records, quarantine and counts agree), the chunk in flight left nothing, the batch is marked
failed with the database's error, and re-running the file converges to what a clean import
gives, its counts adding up (rows read = created + updated + unchanged + stale + rejected).

PostgreSQL only: there is no server process to terminate with SQLite.
"""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, connections

from connectors.choices import BatchStatus
from connectors.models import ImportBatch, QuarantinedRow, SourceRecord

ROWS = 30_000
CHUNK = 500
BAD_EVERY = 997  # a row without an id now and then: quarantine must stay in step with the counts
COLUMNS = ["Id", "FirstName", "LastName", "Email", "Phone", "LastModified"]


def _big_file(path: Path) -> dict[str, dict[str, str]]:
    """Write the file; returns the good rows by id (what a clean import holds)."""
    good = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(ROWS):
            sid = "" if i % BAD_EVERY == BAD_EVERY - 1 else f"F{i:06d}"
            row = [sid, f"Given{i % 311}", f"Family{i % 977}", f"p{i}@example.com", "", "2030-01-01T00:00:00Z"]
            writer.writerow(row)
            if sid:
                good[sid] = dict(zip(COLUMNS, row, strict=True))
    return good


def _counts_add_up(batch: ImportBatch) -> None:
    outcomes = batch.created + batch.updated + batch.unchanged + batch.stale + batch.rejected
    assert batch.rows_read == outcomes, batch.counts()


@pytest.mark.django_db(transaction=True)
def test_database_connection_lost_mid_import_fails_the_batch_cleanly_and_a_rerun_converges(crm, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the fault terminates the importer's server process")
    from connectors.services.records import records_import
    from profiles.integrity import integrity_check

    path = tmp_path / "crm.csv"
    expected = _big_file(path)
    state: dict[str, object] = {}

    def importer() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                state["pid"] = cursor.fetchone()[0]
            records_import(source=crm, path=path, actor="test:import", batch_size=CHUNK)
        except BaseException as exc:  # noqa: BLE001 - the thread hands the outcome to the test
            state["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=importer)
    thread.start()
    deadline = time.monotonic() + 60
    batch = None
    while time.monotonic() < deadline:
        batch = ImportBatch.objects.filter(source=crm).order_by("-pk").first()
        if batch is not None and batch.rows_read >= 4 * CHUNK:  # a few chunks are committed
            break
        time.sleep(0.005)
    assert batch is not None and "pid" in state
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [state["pid"]])
        assert cursor.fetchone()[0]
    thread.join(timeout=60)
    assert not thread.is_alive()

    # The importer saw the fault as a database error, and the batch says so.
    assert isinstance(state.get("error"), DatabaseError), state.get("error")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert batch.error.startswith("database error:"), batch.error
    assert batch.finished_at is not None
    assert 0 < batch.rows_read < ROWS, "the fault must hit mid-file"
    # Committed chunks are whole and nothing of the chunk in flight is left.
    assert batch.rows_read % CHUNK == 0
    _counts_add_up(batch)
    assert SourceRecord.objects.filter(source=crm).count() == batch.created
    assert QuarantinedRow.objects.filter(batch=batch).count() == batch.rejected
    assert integrity_check().ok

    # Re-running the same file converges: every good row held once, as a clean import holds it.
    rerun = records_import(source=crm, path=path, actor="test:import", batch_size=CHUNK)
    assert rerun.status == BatchStatus.SUCCEEDED
    _counts_add_up(rerun)
    assert rerun.rows_read == ROWS
    assert rerun.unchanged == batch.created  # what the failed batch committed is recognised
    assert rerun.created == len(expected) - batch.created
    assert rerun.rejected == ROWS - len(expected)
    assert QuarantinedRow.objects.filter(batch=rerun).count() == rerun.rejected
    held = dict(SourceRecord.objects.filter(source=crm).values_list("external_id", "raw"))
    assert held == expected
    report = integrity_check()
    assert report.ok, [str(v) for v in report.violations]
    print(  # noqa: T201 - the figures the report quotes
        f"\nimport fault: backend terminated after {batch.rows_read}/{ROWS} rows; "
        f"rerun created {rerun.created}, unchanged {rerun.unchanged}, rejected {rerun.rejected}"
    )
