"""`manage.py audit_purge [--dry-run] [--json]`: delete audit entries older than the retention period."""

import getpass
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import audit_purge


class Command(BaseCommand):
    help = "Delete audit entries older than MDM_AUDIT_RETENTION_DAYS (the purge itself is audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be purged, delete nothing")
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        try:
            summary = audit_purge(actor=f"cli:{getpass.getuser()}", dry_run=options["dry_run"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["dry_run"]:
            self.stdout.write(
                f"{summary['would_purge']} audit entries older than {summary['cutoff']} "
                f"({summary['retention_days']} days) would be purged"
            )
        else:
            self.stdout.write(
                f"{summary['purged']} audit entries older than {summary['cutoff']} "
                f"({summary['retention_days']} days) purged"
            )
        if options["json"]:
            self.stdout.write(json.dumps(summary))
