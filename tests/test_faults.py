"""Faults injected into identity resolution: a worker killed with SIGKILL in the middle of a run
leaves the golden records exactly as they were (the run applies in one transaction), the dead
run ends marked failed, and a retry converges to the same result with every invariant holding.

PostgreSQL only: the worker is a real `manage.py resolve --sync --full` subprocess that must
reach the test database (an in-memory SQLite test database is invisible to other processes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from profiles.choices import RunStatus
from profiles.models import CustomerChange, MatchRun

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 900


def database_url() -> str:
    s = connection.settings_dict
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{credentials}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker(*args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "manage.py", "resolve", "--sync", "--full", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def xrefs() -> str:
    out = StringIO()
    call_command("export_xrefs", stdout=out)
    text = out.getvalue()
    assert text.count("\n") > 1, "export_xrefs wrote no rows: the comparison would prove nothing"
    return text


def integrity_ok() -> bool:
    from profiles.integrity import integrity_check

    report = integrity_check()
    assert report.ok, [str(v) for v in report.violations]
    return True


def kill_when_applying(process: subprocess.Popen, before: set[int], timeout: float = 120) -> MatchRun:
    """Wait for the worker's run to reach the apply stage (its single transaction is open), then
    SIGKILL it; returns the run. Polls the run row the way the pages do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = MatchRun.objects.exclude(pk__in=before).order_by("-pk").first()
        if run is not None and run.progress >= 80 and run.status == RunStatus.RUNNING:
            time.sleep(0.05)  # well inside the apply transaction
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            run.refresh_from_db()
            return run
        if process.poll() is not None:
            pytest.fail(f"the worker ended before it could be killed: {process.communicate()}")
        time.sleep(0.01)
    process.kill()
    pytest.fail("the worker's run never reached the apply stage")


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_resolve_changes_nothing_and_a_retry_converges(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the killed worker is another process on the test database")
    from benchmarks.datagen import generate
    from tests.test_integrity import build_resolved_state

    generate(PEOPLE, 13, tmp_path)
    build_resolved_state(tmp_path)
    # A clean full run after the steward's merge and delete: the state a full run converges to,
    # which the killed run's retry must reach again.
    settled = worker("--json")
    assert settled.wait(timeout=300) == 0, settled.communicate()[1]
    assert integrity_ok()
    state_before, changes_before = xrefs(), CustomerChange.objects.count()
    before_runs = set(MatchRun.objects.values_list("pk", flat=True))
    applying = MatchRun.objects.get(pk=max(before_runs)).timings["apply"]
    assert applying > 0.3, f"the apply stage ({applying}s) is too short to be killed inside reliably"

    process = worker()
    dead = kill_when_applying(process, before_runs)
    assert process.returncode == -signal.SIGKILL
    assert dead.status == RunStatus.RUNNING  # killed before its transaction committed
    # Nothing of the killed run was applied: same xrefs, invariants hold.
    assert xrefs() == state_before
    assert CustomerChange.objects.count() == changes_before
    assert integrity_ok()

    # The next run notices that the dead run's worker lock is gone, marks it failed and proceeds.
    retry = worker("--json")
    out, err = retry.communicate(timeout=300)
    assert retry.returncode == 0, err
    dead.refresh_from_db()
    assert (dead.status, dead.is_active) == (RunStatus.FAILED, False)
    assert MatchRun.objects.order_by("-pk").first().status == RunStatus.SUCCEEDED
    # The retry converges: the same golden ids as before the fault.
    assert xrefs() == state_before
    assert integrity_ok()
