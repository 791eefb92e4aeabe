"""`manage.py governance_check [--json]`: evaluate health and policies now, as the schedule does."""

import getpass
import json

from django.core.management.base import BaseCommand, CommandParser

from governance.services.policies import policies_evaluate


class Command(BaseCommand):
    help = "Evaluate integration health and policy rules now: open, keep and resolve findings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        result = policies_evaluate(actor=f"cli:{getpass.getuser()}")
        for label, pairs in (("opened", result.opened), ("resolved", result.resolved)):
            for rule, source in pairs:
                self.stdout.write(f"{label}: {rule} on {source}")
        counts = result.counts()
        self.stdout.write(
            f"findings: {counts['opened']} opened, {counts['kept']} still open, {counts['resolved']} resolved"
        )
        if options["json"]:
            self.stdout.write(json.dumps(counts))
