"""Whole-database export and import (`export_all` / `import_all`): a logical backup of every
project app as JSON Lines, for moving an MDM between databases (SQLite ↔ PostgreSQL) or restoring
it into an empty one. For routine PostgreSQL backups use `pg_dump` (see the README).

What goes in: every model of the project's own apps (those living in this repository), users
and groups (by natural key, so their ids need not match) and the admin log. Content types and
permissions are rebuilt by `migrate`, sessions and the task queue are transient.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from connectors.models import SourceRecord, SourceSystem
from profiles.models import Customer

EXTRA_MODELS = ("auth.group", "auth.user", "admin.logentry")
SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.bz2", ".jsonl.xz", ".jsonl.lzma")


class BackupError(Exception):
    """The backup cannot be written or restored; the message says why."""


def backup_labels() -> list[str]:
    """The models exported, as app labels and app_label.model."""
    base = Path(settings.BASE_DIR).resolve()
    project = [
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
        and not Path(config.path).resolve().is_relative_to(base / ".venv")
    ]
    return [*project, *EXTRA_MODELS]


def backup_tables() -> list[str]:
    """Database tables of the exported models, with their many-to-many tables."""
    tables: set[str] = set()
    for label in backup_labels():
        models = [apps.get_model(label)] if "." in label else list(apps.get_app_config(label).get_models())
        for model in models:
            tables.add(model._meta.db_table)
            tables.update(f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many)
    return sorted(tables)


def _check_path(path: Path) -> None:
    if not path.name.endswith(SUFFIXES):
        raise BackupError(f"{path}: the file name must end with one of {', '.join(SUFFIXES)}")


def database_is_empty() -> bool:
    """No sources, records, golden records or users: what a freshly migrated database holds."""
    return not (
        SourceSystem.objects.exists()
        or SourceRecord.objects.exists()
        or Customer.objects.exists()
        or get_user_model().objects.exists()
    )


def database_export(*, path: Path) -> dict[str, object]:
    """Stream every exported model to `path` (compressed by its suffix), from one consistent
    snapshot on PostgreSQL; the file appears only once complete."""
    _check_path(path)
    if not path.parent.is_dir():
        raise BackupError(f"cannot write {path}: no such directory {path.parent}")
    suffix = "".join(s for s in path.suffixes if s in (".jsonl", ".gz", ".bz2", ".xz", ".lzma"))
    partial = path.with_name(f".{path.name.removesuffix(suffix)}.partial-{os.getpid()}{suffix}")
    labels = backup_labels()
    # A snapshot needs the isolation level set first thing in a transaction of our own.
    own_transaction = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql" and own_transaction:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            call_command(
                "dumpdata",
                *labels,
                format="jsonl",
                output=str(partial),
                use_natural_foreign_keys=True,
                use_natural_primary_keys=True,
                verbosity=0,
            )
        os.replace(partial, path)
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return {"path": str(path), "bytes": path.stat().st_size, "apps": labels}


def database_import(*, path: Path, force: bool = False) -> dict[str, object]:
    """Load a file written by `database_export` in one transaction (all or nothing). Refuses a
    database that already holds data unless `force`, which first empties it (flush)."""
    _check_path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    # One transaction: a file that fails to load leaves the database as it was, even with --force.
    with transaction.atomic():
        if not force and not database_is_empty():
            raise BackupError(
                "the database already holds data (sources, records, golden records or users); "
                "import into an empty, migrated database, or pass --force to replace everything"
            )
        # The file is the whole truth for what it holds: rows that migrations seeded (default
        # survivorship and policy rules, groups) or that --force replaces go first.
        with connection.cursor() as cursor:
            for statement in connection.ops.sql_flush(
                no_style(), backup_tables(), reset_sequences=True, allow_cascade=True
            ):
                cursor.execute(statement)
        call_command("loaddata", str(path), verbosity=0)
    return {"path": str(path), "records": SourceRecord.objects.count(), "golden_records": Customer.objects.count()}
