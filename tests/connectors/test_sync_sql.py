"""sql-pull against a second real database: a SQLite file, and on PostgreSQL runs a schema of
the PostgreSQL server reached through its own DSN."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from connectors.choices import BatchKind, BatchStatus
from connectors.models import SourceRecord, SourceSystem
from connectors.pull.sync import source_sync
from tests.connectors.test_sync_http import catalog_source, connector_catalog


@pytest.fixture
def load_source(db, write_file):
    return functools.partial(catalog_source, write_file)


def _stamp(i: int) -> str:
    return f"2026-01-01T00:00:{i // 4:02d}+00:00"  # four rows share each timestamp


@pytest.fixture
def sqlite_peer(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "erp.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id TEXT PRIMARY KEY, first TEXT, last TEXT, email TEXT, updated_at TEXT)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?)",
            [(f"E{i:03d}", "Ann", "Lee", f"ann{i}@example.com", _stamp(i)) for i in range(25)],
        )
    monkeypatch.setenv("ERP_DSN", f"sqlite:///{path}")
    return path


def sql_block(**extra: object) -> str:
    return json.dumps(
        {"kind": "sql-pull", "dsn_env": "ERP_DSN", "table": "customers", "watermark_column": "updated_at", **extra}
    )


def test_sqlite_table_pulled_in_batches_then_incrementally(sqlite_peer, load_source):
    source = load_source(connector_catalog(sql_block(batch_size=10), code="erp"), code="erp")

    batch = source_sync(source=source, actor="test")

    assert batch.status == BatchStatus.SUCCEEDED, batch.error
    assert (batch.kind, batch.file_name) == (BatchKind.SQL_PULL, "table customers")
    assert (batch.rows_read, batch.created, batch.duplicates) == (25, 25, 0)  # ties across batches: no loss, no repeat
    assert batch.watermark_after == _stamp(24)
    assert SourceRecord.objects.filter(source=source, pending_resolution=True).count() == 25

    with sqlite3.connect(sqlite_peer) as db:
        db.execute("UPDATE customers SET email = 'moved@example.com', updated_at = ? WHERE id = 'E003'", [_stamp(40)])
        db.execute("INSERT INTO customers VALUES ('E100', 'Bo', 'Kim', 'bo@example.com', ?)", [_stamp(41)])
    second = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")

    # from the watermark inclusive: the last timestamp's row again (unchanged), then the two changes
    assert (second.rows_read, second.created, second.updated, second.unchanged) == (3, 1, 1, 1)
    assert (second.watermark_before, second.watermark_after) == (_stamp(24), _stamp(41))
    assert SourceRecord.objects.get(source=source, external_id="E003").email == "moved@example.com"
    assert SourceSystem.objects.get(pk=source.pk).sync_watermark == _stamp(41)


def test_sqlite_query_with_an_id_watermark(sqlite_peer, load_source):
    block = sql_block(
        table=None,
        query="SELECT rowid AS seq, id, first, last, email, updated_at FROM customers WHERE email LIKE 'ann1%'",
        watermark_column="seq",
        batch_size=4,
    )
    block = json.dumps({k: v for k, v in json.loads(block).items() if v is not None})
    source = load_source(connector_catalog(block, code="erp"), code="erp")
    batch = source_sync(source=source, actor="test")
    assert (batch.status, batch.created, batch.watermark_after) == (BatchStatus.SUCCEEDED, 11, "20")
    again = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")
    assert (again.rows_read, again.unchanged) == (1, 1)


def test_missing_dsn_and_missing_table_fail_the_batch(sqlite_peer, load_source, monkeypatch):
    source = load_source(connector_catalog(sql_block(table="clients"), code="erp"), code="erp")
    batch = source_sync(source=source, actor="test")
    assert batch.status == BatchStatus.FAILED
    assert batch.error == "query failed: no such table: clients"
    monkeypatch.delenv("ERP_DSN")
    batch = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")
    assert batch.error == "environment variable ERP_DSN (database DSN) is not set"
    monkeypatch.setenv("ERP_DSN", "sqlite:///nowhere/erp.db")
    batch = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")
    assert batch.error == "no SQLite database file at nowhere/erp.db"
    assert SourceSystem.objects.get(pk=source.pk).sync_failures == 3


@pytest.fixture
def postgres_peer(monkeypatch):
    """A schema of its own on the PostgreSQL server, written through a separate connection."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL peer: only on PostgreSQL runs (the SQLite peer runs everywhere)")
    import psycopg

    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    dsn = f"postgresql://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{connection.settings_dict['NAME']}"
    schema = f"erp_peer_{os.getpid()}"
    with psycopg.connect(dsn, autocommit=True) as peer:
        peer.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        peer.execute(f"CREATE SCHEMA {schema}")
        peer.execute(
            f"CREATE TABLE {schema}.customers (id integer PRIMARY KEY, first text, last text, email text, "
            "updated_at timestamptz)"
        )
        with peer.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {schema}.customers VALUES (%s, %s, %s, %s, %s)",
                [(i, "Ann", "Lee", f"ann{i}@example.com", _stamp(i)) for i in range(25)],
            )
    monkeypatch.setenv("ERP_DSN", dsn)
    yield schema, dsn
    with psycopg.connect(dsn, autocommit=True) as peer:
        peer.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_postgresql_schema_pulled_incrementally(postgres_peer, load_source):
    import psycopg

    schema, dsn = postgres_peer
    source = load_source(connector_catalog(sql_block(table=f"{schema}.customers", batch_size=10), code="erp"), "erp")
    batch = source_sync(source=source, actor="test")
    assert (batch.status, batch.created, batch.error) == (BatchStatus.SUCCEEDED, 25, "")
    assert batch.watermark_after == "2026-01-01T00:00:06+00:00"
    with psycopg.connect(dsn, autocommit=True) as peer:
        peer.execute(f"UPDATE {schema}.customers SET email = 'x@example.com', updated_at = now() WHERE id = 3")
    second = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")
    assert (second.rows_read, second.updated, second.unchanged) == (2, 1, 1)
    assert SourceRecord.objects.get(source=source, external_id="3").email == "x@example.com"
