"""`manage.py export_xrefs [--output PATH]` (SPEC §3)."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from audit.choices import AuditAction
from audit.services import audit_record
from profiles.selectors import xref_rows
from profiles.spreadsheet import safe_csv_writer


class Command(BaseCommand):
    help = "Write source,source_id,customer_id for every active source record (current golden ids)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="file to write (default: standard output)")

    def handle(self, *args: object, **options: object) -> None:
        output = options["output"]
        if output is None:
            self.stdout.ending = ""  # the CSV writer ends its own lines
        stream = output.open("w", newline="", encoding="utf-8") if output else self.stdout
        try:
            writer = safe_csv_writer(stream)
            writer.writerow(["source", "source_id", "customer_id"])
            count = 0
            for row in xref_rows():
                writer.writerow(row)
                count += 1
        finally:
            if output:
                stream.close()
        audit_record(
            actor=f"cli:{getpass.getuser()}",
            action=AuditAction.EXPORT_XREFS,
            params={"output": str(output) if output else "stdout", "rows": count},
        )
        if output:
            self.stdout.write(f"{count} xrefs written to {output}")
