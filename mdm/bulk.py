"""Fast bulk updates by primary key, for runs that rewrite tens of thousands of rows.

Django's `bulk_update` builds one `CASE WHEN pk = … THEN …` per row and field, which costs
seconds per thousand rows. Here PostgreSQL gets the rows by COPY into a temporary table and
one `UPDATE … FROM`; other databases (SQLite) get one prepared UPDATE run with executemany.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models, transaction


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
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS _bulk_{model._meta.db_table} ON COMMIT DROP AS "
                f"SELECT {pk}, {', '.join(names)} FROM {table} WITH NO DATA"
            )
            temp = f"_bulk_{model._meta.db_table}"
            cursor.execute(f"TRUNCATE {temp}")
            with cursor.cursor.copy(f"COPY {temp} ({pk}, {', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{n} = {temp}.{n}" for n in names)
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {temp} WHERE {table}.{pk} = {temp}.{pk}")
            cursor.execute(f"TRUNCATE {temp}")
        else:
            assignments = ", ".join(f"{n} = %s" for n in names)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [(*row[1:], row[0]) for row in rows]
            )
    return len(rows)
