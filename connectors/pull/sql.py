"""Reading a table or query of another database in batches, from a watermark on.

No Django database here: the peer is reached with its own driver (sqlite3 for a SQLite file,
psycopg for PostgreSQL) through a DSN read from the environment. Batches follow keyset order on
(watermark column, id column), so rows sharing a watermark value are neither lost nor read twice
within a run; a run starts at the stored watermark inclusive, so a row written at the very
moment of the last run is read again (and counted unchanged) rather than missed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.pull.config import ConnectorError, SqlConfig, env_value


class SqlPullError(ConnectorError):
    """The peer database could not be read; the message says why."""


def _quote(identifier: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in identifier.split("."))


def json_value(value: object) -> object:
    """A database value as the JSON a raw payload holds."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def watermark_param(value: str) -> object:
    """A stored watermark as a query parameter: ids stay numbers, the rest text the database casts."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def _connect(dsn: str) -> tuple[Any, str]:
    """A DB-API connection and its parameter placeholder."""
    if dsn.startswith(("postgres://", "postgresql://")) or ("=" in dsn and "host" in dsn):
        import psycopg

        try:
            return psycopg.connect(dsn, connect_timeout=10, autocommit=True), "%s"
        except psycopg.Error as exc:
            raise SqlPullError(f"cannot connect to the PostgreSQL database: {str(exc).strip()[:200]}") from exc
    path = dsn.removeprefix("sqlite:///") if dsn.startswith("sqlite:///") else dsn.removeprefix("sqlite://")
    if not Path(path).is_file():
        raise SqlPullError(f"no SQLite database file at {path}")
    try:
        return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=10), "?"
    except sqlite3.Error as exc:
        raise SqlPullError(f"cannot open the SQLite file {path}: {exc}") from exc


def sql_batches(config: SqlConfig, *, watermark: str = "") -> Iterator[list[dict[str, object]]]:
    """Rows (column -> JSON value) of the table or query, `batch_size` at a time, in keyset order."""
    dsn = env_value(config.dsn_env, what="database DSN")
    connection, mark = _connect(dsn)
    relation = _quote(config.table) if config.table else f"({config.query.strip().rstrip(';')})"
    wm, key = _quote(config.watermark_column), _quote(config.id_column)
    base = f"SELECT * FROM {relation} AS src"
    order = f" ORDER BY {wm}, {key} LIMIT {int(config.batch_size)}"
    with closing(connection):
        last: tuple[object, object] | None = None
        while True:
            if last is not None:
                sql = f"{base} WHERE {wm} > {mark} OR ({wm} = {mark} AND {key} > {mark}){order}"
                params: list[object] = [last[0], last[0], last[1]]
            elif watermark:
                sql, params = f"{base} WHERE {wm} >= {mark}{order}", [watermark_param(watermark)]
            else:
                sql, params = f"{base} WHERE {wm} IS NOT NULL{order}", []
            try:
                cursor = connection.cursor()
                cursor.execute(sql, params)
                columns = [c[0] for c in cursor.description]
                rows = cursor.fetchall()
            except Exception as exc:  # each driver has its own error classes
                raise SqlPullError(f"query failed: {str(exc).strip()[:300]}") from exc
            if not rows:
                return
            if config.watermark_column not in columns or config.id_column not in columns:
                missing = config.watermark_column if config.watermark_column not in columns else config.id_column
                raise SqlPullError(f"column {missing!r} is not in the result ({', '.join(columns)})")
            w_index, k_index = columns.index(config.watermark_column), columns.index(config.id_column)
            yield [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
            last = (rows[-1][w_index], rows[-1][k_index])
            if len(rows) < config.batch_size:
                return
