"""`manage.py recompute_golden [--json]`: recompute every golden record (after rule or trust changes)."""

import getpass
import json
import time

from django.core.management.base import BaseCommand, CommandParser

from profiles.services.golden import golden_records_recompute_all


class Command(BaseCommand):
    help = "Recompute the golden attributes, relationships and change log of every active golden record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        figures = golden_records_recompute_all(actor=f"cli:{getpass.getuser()}")
        figures["seconds"] = round(time.perf_counter() - started, 3)
        self.stdout.write(
            f"golden records {figures['customers']}, changed {figures['changed']}, "
            f"attribute rows written {figures['rows_written']}, seconds {figures['seconds']}"
        )
        if options["json"]:
            self.stdout.write(json.dumps(figures))
