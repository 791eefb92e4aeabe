"""`manage.py evaluate --truth PATH` (SPEC §3): quality of the current golden records against truth."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from profiles.selectors import EvaluationError, golden_record_evaluation


class Command(BaseCommand):
    help = "Compare golden records with a truth CSV (source,source_id,entity_id); prints JSON figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--truth", type=Path, required=True)

    def handle(self, *args: object, **options: object) -> None:
        try:
            figures = golden_record_evaluation(truth_path=options["truth"])
        except EvaluationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(figures))
