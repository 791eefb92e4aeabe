"""`manage.py import_all PATH [--force]`: restore a file written by export_all, then check integrity."""

import getpass
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.choices import AuditAction
from audit.services import audit_record
from profiles.backup import BackupError, database_import
from profiles.integrity import integrity_check


class Command(BaseCommand):
    help = (
        "Load a file written by export_all into an empty, migrated database (all or nothing); "
        "--force empties a database that holds data first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a file written by export_all")
        parser.add_argument("--force", action="store_true", help="replace everything the database holds")

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        try:
            summary = database_import(path=options["path"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        audit_record(
            actor=f"cli:{getpass.getuser()}",
            action=AuditAction.IMPORT_ALL,
            params={"path": summary["path"], "force": options["force"]},
        )
        report = integrity_check()
        seconds = round(time.perf_counter() - started, 3)
        self.stdout.write(
            f"restored {summary['records']} source records and {summary['golden_records']} golden records "
            f"from {summary['path']} in {seconds}s"
        )
        if not report.ok:
            for violation in report.violations:
                self.stdout.write(f"VIOLATION {violation}")
            raise CommandError("the restored data breaks invariants: see check_integrity")
        self.stdout.write("integrity: OK")
