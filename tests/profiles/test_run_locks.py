"""A match run whose worker died is marked failed when the next run starts; a live one is not."""

import fcntl
import threading

import pytest
from django.db import connection, connections

from profiles.choices import RunMode, RunStatus
from profiles.constants import MATCH_RUN_LOCK
from profiles.models import MatchRun
from profiles.services.resolution import RunAlreadyActive, match_run_claim, match_run_start
from profiles.services.run_locks import _lock_path, match_runs_reap, run_lock_release


def _orphan_running_run() -> MatchRun:
    """A run left 'running' by a worker that no longer exists: nobody holds its lock."""
    return MatchRun.objects.create(mode=RunMode.FULL, actor="worker", status=RunStatus.RUNNING, stage="apply")


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_failed_and_a_new_run_starts():
    dead = _orphan_running_run()
    run = match_run_start(mode=RunMode.INCREMENTAL, actor="cli:test")
    dead.refresh_from_db()
    assert (dead.status, dead.is_active) == (RunStatus.FAILED, False)
    assert "worker died during apply" in dead.error
    assert run.status == RunStatus.QUEUED and run.is_active


@pytest.mark.django_db
def test_a_claimed_run_of_this_process_is_not_reaped():
    run = match_run_start(mode=RunMode.INCREMENTAL, actor="cli:test")
    assert match_run_claim(run_id=run.pk)
    try:
        assert match_runs_reap() == []
        with pytest.raises(RunAlreadyActive):
            match_run_start(mode=RunMode.INCREMENTAL, actor="cli:other")
    finally:
        run_lock_release(run.pk)


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_lock_another_live_process_holds_is_not_reaped():
    run = _orphan_running_run()
    held, release = threading.Event(), threading.Event()

    def other_worker() -> None:  # another session (PostgreSQL) or another open lock file (SQLite)
        try:
            if connection.vendor == "postgresql":
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_lock(%s, %s)", [MATCH_RUN_LOCK, run.pk])
                    held.set()
                    release.wait(10)
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [MATCH_RUN_LOCK, run.pk])
            else:
                with open(_lock_path(run.pk), "a+") as handle:
                    fcntl.flock(handle, fcntl.LOCK_EX)
                    held.set()
                    release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        assert match_runs_reap() == []
        run.refresh_from_db()
        assert run.status == RunStatus.RUNNING
    finally:
        release.set()
        thread.join(10)
    assert match_runs_reap() == [run.pk]  # the other worker is gone now
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
