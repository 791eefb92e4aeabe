"""`manage.py load_catalog PATH [--json]` (SPEC §2)."""

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.catalog import CatalogError
from governance.services import catalog_load


class Command(BaseCommand):
    help = "Create or update sources and their integrations from a catalog file; all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = catalog_load(path=options["path"], actor=f"cli:{getpass.getuser()}")
        except CatalogError as exc:
            problems = "\n".join(f"  - {p}" for p in exc.problems)
            raise CommandError(f"catalog not loaded, nothing applied:\n{problems}") from exc
        for label, codes in (
            ("created", result.created),
            ("updated", result.updated),
            ("unchanged", result.unchanged),
        ):
            if codes:
                self.stdout.write(f"{label}: {', '.join(codes)}")
        counts = result.counts()
        self.stdout.write(
            f"catalog loaded: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
        )
        if options["json"]:
            self.stdout.write(json.dumps(counts))
