"""On PostgreSQL, enforce the audit trail's append-only rule in the database too: UPDATE is
refused, DELETE only inside a transaction that set `mdm.audit_purge` (what `audit_purge` does).
TRUNCATE (test database flushes) is not a row operation and is unaffected."""

from django.db import migrations

CREATE = [
    """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit entries are append-only: they cannot be updated';
    END IF;
    IF COALESCE(current_setting('mdm.audit_purge', true), '') <> 'on' THEN
        RAISE EXCEPTION 'audit entries are append-only: only audit_purge removes old ones';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
]
DROP = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_entry")]

    operations = [migrations.RunPython(create, drop)]
