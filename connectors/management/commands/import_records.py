"""`manage.py import_records SOURCE PATH [--json]` (SPEC §3)."""

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.models import SourceSystem
from connectors.policies import WriteRefused
from connectors.readers import UnreadableFile
from connectors.services.records import records_import


class Command(BaseCommand):
    help = "Import a CSV (header row) or JSON Lines file of source records, upserting by (source, id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="source code from the catalog")
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        parser.add_argument("--jsonl", action="store_true", help="read as JSON Lines whatever the extension")
        parser.add_argument("--encoding", default="utf-8", help="text encoding of the file (default utf-8)")

    def handle(self, *args: object, **options: object) -> None:
        source = SourceSystem.objects.filter(code=options["source"]).first()
        if source is None:
            known = ", ".join(SourceSystem.objects.values_list("code", flat=True)) or "none: run load_catalog"
            raise CommandError(f"unknown source {options['source']!r} (known: {known})")
        try:
            batch = records_import(
                source=source,
                path=options["path"],
                actor=f"cli:{getpass.getuser()}",
                force_json=options["jsonl"],
                encoding=options["encoding"],
            )
        except (UnreadableFile, WriteRefused) as exc:
            raise CommandError(str(exc)) from exc
        counts = batch.counts()
        self.stdout.write(
            f"{source.code}: {counts['rows']} rows read: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['stale']} stale, {counts['rejected']} rejected "
            f"({counts['duplicates']} duplicate ids, {counts['with_issues']} with invalid values) "
            f"in {batch.duration_seconds:.2f}s; batch {batch.pk}"
        )
        if options["json"]:
            self.stdout.write(json.dumps({"batch": batch.pk, **counts, "seconds": batch.duration_seconds}))
