"""`manage.py export_all PATH`: a logical backup of the whole MDM as JSON Lines (optionally .gz)."""

import getpass
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.choices import AuditAction
from audit.services import audit_record
from profiles.backup import BackupError, database_export


class Command(BaseCommand):
    help = "Write every project model, users and groups to PATH (.jsonl or .jsonl.gz) for import_all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="file to write: .jsonl, or .jsonl.gz to compress")

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        try:
            summary = database_export(path=options["path"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        seconds = round(time.perf_counter() - started, 3)
        audit_record(
            actor=f"cli:{getpass.getuser()}",
            action=AuditAction.EXPORT_ALL,
            params={"path": summary["path"], "bytes": summary["bytes"]},
        )
        self.stdout.write(f"{summary['bytes']} bytes written to {summary['path']} in {seconds}s")
