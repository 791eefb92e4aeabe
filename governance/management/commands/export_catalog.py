"""`manage.py export_catalog [--output PATH]` (SPEC §3): the catalog as YAML."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.choices import AuditAction
from audit.services import audit_record
from governance.catalog import catalog_dump
from governance.selectors import catalog_get


class Command(BaseCommand):
    help = "Write the source catalog as YAML (SPEC §2), to standard output or --output PATH."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="file to write instead of standard output")

    def handle(self, *args: object, **options: object) -> None:
        catalog = catalog_get()
        if not catalog.sources:
            raise CommandError("no sources to export: load a catalog first (manage.py load_catalog PATH)")
        text = catalog_dump(catalog)
        output = options["output"]
        audit_record(
            actor=f"cli:{getpass.getuser()}",
            action=AuditAction.EXPORT_CATALOG,
            params={"output": str(output) if output else "stdout", "sources": len(catalog.sources)},
        )
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from exc
        self.stderr.write(f"catalog of {len(catalog.sources)} sources written to {output}")
