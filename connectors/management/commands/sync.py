"""`manage.py sync SOURCE | --all | --schedule [--json]`: run connector pulls now."""

from __future__ import annotations

import getpass
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.models import ImportBatch, SourceSystem
from connectors.pull.schedules import sync_schedule_ensure
from connectors.pull.sync import SyncNotPossible, source_sync, sources_sync_due


def _summary(batch: ImportBatch) -> dict[str, object]:
    return {
        "source": batch.source.code if batch.source_id else None,
        "batch": batch.pk,
        "status": batch.status,
        **batch.counts(),
        "watermark_before": batch.watermark_before,
        "watermark_after": batch.watermark_after,
        "seconds": batch.duration_seconds,
        "error": batch.error,
    }


class Command(BaseCommand):
    help = (
        "Pull a source through its connector now (SOURCE), every source whose sync is due (--all), "
        "or create the every-minute sync schedule (--schedule)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", nargs="?", help="code of the source to pull")
        parser.add_argument("--all", action="store_true", help="pull every source whose sync is due")
        parser.add_argument("--schedule", action="store_true", help="create or correct the django-q2 schedule")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON on the last line")

    def _line(self, summary: dict[str, object]) -> str:
        text = (
            f"{summary['source']}: {summary['status']}: {summary['rows']} rows, {summary['created']} created, "
            f"{summary['updated']} updated, {summary['unchanged']} unchanged, {summary['stale']} stale, "
            f"{summary['rejected']} rejected; watermark {summary['watermark_before'] or '-'} -> "
            f"{summary['watermark_after'] or '-'} in {summary['seconds']}s"
        )
        return text + (f"; error: {summary['error']}" if summary["error"] else "")

    def handle(self, *args: object, **options: object) -> None:
        code, everything, schedule = options["source"], options["all"], options["schedule"]
        if sum(bool(x) for x in (code, everything, schedule)) != 1:
            raise CommandError("give exactly one of: a SOURCE code, --all, --schedule")
        if schedule:
            name, outcome = sync_schedule_ensure()
            self.stdout.write(f"{name}: {outcome}")
            return
        actor = f"cli:{getpass.getuser()}"
        if everything:
            results = sources_sync_due(actor=actor)
            summaries = []
            for result in results:
                if result.batch is None:
                    summaries.append({"source": result.source, "status": "skipped", "error": result.error})
                    self.stdout.write(f"{result.source}: skipped: {result.error}")
                    continue
                summaries.append(_summary(result.batch))
                self.stdout.write(self._line(summaries[-1]))
            if not results:
                self.stdout.write("no source is due")
            failed = [s["source"] for s in summaries if s["status"] == "failed"]
            if options["json"]:
                self.stdout.write(json.dumps({"sources": summaries, "failed": failed}))
            if failed:
                raise CommandError(f"{len(failed)} sync(s) failed: {', '.join(failed)}")
            return
        source = SourceSystem.objects.filter(code=code).first()
        if source is None:
            raise CommandError(f"unknown source {code!r}")
        try:
            batch = source_sync(source=source, actor=actor)
        except SyncNotPossible as exc:
            raise CommandError(str(exc)) from exc
        summary = _summary(batch)
        self.stdout.write(self._line(summary))
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        if batch.error:
            raise CommandError(f"sync of {source.code} failed: {batch.error}")
