"""Fast bulk inserts and updates, for runs that write tens of thousands of rows.

Django's `bulk_update` builds one `CASE WHEN pk = … THEN …` per row and field, and
`bulk_create` builds and parses huge multi-row INSERTs; both cost seconds per thousand rows.
On PostgreSQL the rows are streamed with COPY instead (into the table, or into a temporary
table and one `UPDATE … FROM`); other databases (SQLite) use executemany or bulk_create.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence

from django.db import connection, models, transaction
from django.db.models import F, Lookup, Q

SMALL_UPDATE = 200  # rows up to which PostgreSQL gets one UPDATE … FROM (VALUES …)


@contextlib.contextmanager
def copy_from_stdin(cursor: object, sql: str) -> Iterator[object]:
    """psycopg's COPY … FROM STDIN on a Django cursor, with driver errors turned into Django's as
    `cursor.execute` turns them, so that a lost connection mid-COPY is a DatabaseError."""
    with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:  # type: ignore[attr-defined]
        yield copy


def _column(model: type[models.Model], name: str) -> tuple[str, bool]:
    field = model._meta.get_field(name)
    return field.column, isinstance(field, models.JSONField)


def bulk_update_by_pk(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Set `fields` (model field names) from `rows` of (pk, value, …) in the caller's transaction.

    JSON fields take Python values; foreign keys take ids (name the field, e.g. "customer").
    Returns the number of rows given.
    """
    rows = list(rows)
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk.column
    columns = [_column(model, name) for name in fields]
    json_at = [i + 1 for i, (_, is_json) in enumerate(columns) if is_json]
    if json_at:
        rows = [
            [json.dumps(v, default=str) if i in json_at and v is not None else v for i, v in enumerate(row)]
            for row in rows
        ]
    names = [connection.ops.quote_name(c) for c, _ in columns]
    # No savepoint: one statement (or one temp-table round) either applies or fails the caller's
    # transaction, and a savepoint would cost two more round trips per call.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) <= SMALL_UPDATE:
            # A few rows: one statement, no temporary table.
            types = [model._meta.pk.db_type(connection)] + [
                model._meta.get_field(f).db_type(connection) for f in fields
            ]
            row_sql = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
            assignments = ", ".join(f"{n} = v.{n}" for n in names)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {', '.join([row_sql] * len(rows))}) "
                f"AS v({pk}, {', '.join(names)}) WHERE {table}.{pk} = v.{pk}",
                [value for row in rows for value in row],
            )
        elif connection.vendor == "postgresql":
            # One temporary table per table and set of columns, dropped at commit.
            temp = f"_bulk_{model._meta.db_table}_{zlib.crc32(','.join(fields).encode()):x}"
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DROP AS "
                f"SELECT {pk}, {', '.join(names)} FROM {table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {temp}")
            with copy_from_stdin(cursor, f"COPY {temp} ({pk}, {', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{n} = {temp}.{n}" for n in names)
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {temp} WHERE {table}.{pk} = {temp}.{pk}")
        else:
            assignments = ", ".join(f"{n} = %s" for n in names)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [(*row[1:], row[0]) for row in rows]
            )
    return len(rows)


def bulk_insert_rows(*, model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Insert rows (tuples of values for `fields`, by attribute name) into model's table."""
    rows = list(rows)
    if not rows:
        return 0
    columns = [model._meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        attnames = [column.attname for column in columns]
        model.objects.bulk_create([model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=1000)
        return len(rows)
    quote = connection.ops.quote_name
    json_at = [i for i, column in enumerate(columns) if isinstance(column, models.JSONField)]
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c.column) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, copy_from_stdin(cursor, sql) as copy:
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    row[i] = json.dumps(row[i], ensure_ascii=False)
            copy.write_row(row)
    return len(rows)


class _AnyOf(Lookup):
    """`column = ANY(%s)` with the ids as one array parameter (PostgreSQL): a statement of a few
    hundred bytes whatever the number of ids, where `IN (…)` makes Django build and the server
    parse one placeholder per id."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):  # noqa: ANN001, ANN201 - Django's signature
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, [int(pk) for pk in self.rhs]]


def ids_in(field: str, ids: Iterable[int]) -> Q:
    """`field IN ids` for integer ids (a primary or foreign key): one array parameter on PostgreSQL."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return Q(_AnyOf(F(field), ids))
    return Q(**{f"{field}__in": ids})
