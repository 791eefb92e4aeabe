"""`manage.py import_activities PATH [--json]` (SPEC §3)."""

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.readers import UnreadableFile
from connectors.services.activities import activities_import


class Command(BaseCommand):
    help = "Import a CSV of activities: source,source_id,kind,occurred_at[,amount][,summary]."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        try:
            batch = activities_import(path=options["path"], actor=f"cli:{getpass.getuser()}")
        except UnreadableFile as exc:
            raise CommandError(str(exc)) from exc
        counts = {k: batch.counts()[k] for k in ("rows", "created", "unchanged", "rejected")}
        self.stdout.write(
            f"activities: {counts['rows']} rows read: {counts['created']} created, {counts['unchanged']} unchanged, "
            f"{counts['rejected']} rejected in {batch.duration_seconds:.2f}s; batch {batch.pk}"
        )
        if options["json"]:
            self.stdout.write(json.dumps({"batch": batch.pk, **counts, "seconds": batch.duration_seconds}))
