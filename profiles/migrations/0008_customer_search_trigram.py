"""Trigram GIN indexes for the customer search (PostgreSQL only; SQLite searches plainly).

Django writes `icontains` as `UPPER(col::text) LIKE UPPER(%s)` on PostgreSQL, so the indexes are
on exactly those expressions; `contains` on the phone is `col::text LIKE %s`. With pg_trgm a
substring search of the golden name, email or phone is an index scan at millions of rows.
"""

from django.db import migrations

INDEXES = {
    "customer_name_trgm": '(UPPER("full_name"::text)) gin_trgm_ops',
    "customer_email_trgm": '(UPPER("email"::text)) gin_trgm_ops',
    "customer_phone_trgm": '("phone"::text) gin_trgm_ops',
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "profiles_customer" USING gin ({expression})')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("profiles", "0007_review_assignment_comments_retrain")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
