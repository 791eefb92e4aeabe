"""Inserting many rows fast: COPY on PostgreSQL, bulk_create elsewhere.

Recomputing 100k golden records writes hundreds of thousands of attribute rows; Django's
bulk_create spends most of that time building and parsing multi-row INSERT statements, COPY
streams the rows instead (several times faster). Rows are plain tuples in `fields` order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models


def rows_insert(*, model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
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
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    row[i] = json.dumps(row[i], ensure_ascii=False)
            copy.write_row(row)
    return len(rows)
