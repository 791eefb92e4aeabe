"""`manage.py resolve [--full] [--sync] [--json]` (SPEC §3)."""

import getpass
import json
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_q.tasks import async_task

from profiles.choices import RunMode, RunStatus
from profiles.models import MatchRun
from profiles.services.resolution import (
    RunAlreadyActive,
    match_run_claim,
    match_run_execute,
    match_run_start,
)


class Command(BaseCommand):
    help = "Resolve identities over new and changed records (--full: all records)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="re-resolve every record")
        parser.add_argument("--sync", action="store_true", help="run in this process instead of a worker")
        parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        parser.add_argument(
            "--worker-wait",
            type=float,
            default=10.0,
            help="seconds to wait for a django-q2 worker to pick the run up before running it here",
        )

    def handle(self, *args: object, **options: object) -> None:
        mode = RunMode.FULL if options["full"] else RunMode.INCREMENTAL
        try:
            run = match_run_start(mode=mode, actor=f"cli:{getpass.getuser()}")
        except RunAlreadyActive as exc:
            raise CommandError(str(exc)) from exc
        if options["sync"]:
            match_run_claim(run_id=run.pk)
            self.stdout.write(f"{run.get_mode_display().lower()} match run {run.pk} running in this process")
            run = match_run_execute(run=run)
        else:
            async_task("profiles.tasks.resolve_task", run.pk, task_name=f"resolve-{run.pk}")
            self.stdout.write(f"{run.get_mode_display().lower()} match run {run.pk} queued")
            run = self._wait(run, options["worker_wait"])
        self._report(run, options["json"])

    def _wait(self, run: MatchRun, worker_wait: float) -> MatchRun:
        queued_since = time.monotonic()
        shown = None
        while True:
            run.refresh_from_db()
            waited_too_long = time.monotonic() - queued_since > worker_wait
            if run.status == RunStatus.QUEUED and waited_too_long and match_run_claim(run_id=run.pk):
                self.stdout.write(
                    f"no django-q2 worker took the run within {worker_wait:.0f}s "
                    "(start one with `manage.py qcluster`); running it in this process"
                )
                return match_run_execute(run=run)
            if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
                return run
            progress = (run.stage, run.progress)
            if run.status == RunStatus.RUNNING and progress != shown:
                self.stdout.write(f"  {run.progress:3d}% {run.stage}")
                shown = progress
            time.sleep(0.5)

    def _report(self, run: MatchRun, as_json: bool) -> None:
        summary = run.summary()
        if run.status == RunStatus.FAILED:
            raise CommandError(f"match run {run.pk} failed: {run.error}")
        self.stdout.write(
            f"records {summary['records']}, candidate pairs {summary['candidate_pairs']}, "
            f"auto-linked {summary['auto_linked']}, to review {summary['to_review']}, "
            f"golden records {summary['golden_records']}, seconds {summary['seconds']}"
        )
        if as_json:
            self.stdout.write(json.dumps(summary))
