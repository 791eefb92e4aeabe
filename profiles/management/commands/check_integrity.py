"""`manage.py check_integrity [--json]` (SPEC §3): verify the invariants, exit non-zero on any violation."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from profiles.integrity import integrity_check


class Command(BaseCommand):
    help = (
        "Verify the invariants of golden records: xrefs, redirects, change log, provenance. "
        "Exits non-zero naming each violation; records not yet resolved are reported as pending."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
        parser.add_argument("--examples", type=int, default=10, help="ids shown per violation (default 10)")

    def handle(self, *args: object, **options: object) -> None:
        report = integrity_check(examples=max(1, options["examples"]))
        counts = report.counts
        self.stdout.write(
            f"{len(report.checks)} checks over {counts['records']} active source records "
            f"({report.pending} pending resolution), {counts['golden_records']} golden records, "
            f"{counts['retired']} retired ids, {counts['changes']} changes, in {report.seconds}s"
        )
        for violation in report.violations:
            self.stdout.write(f"VIOLATION {violation}")
        if report.ok:
            self.stdout.write("OK: no violations")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), default=str))
        if not report.ok:
            names = ", ".join(v.check for v in report.violations)
            raise CommandError(f"{len(report.violations)} invariant(s) violated: {names}")
