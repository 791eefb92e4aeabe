"""Which match runs still have a live worker.

A run is "running" from the moment a worker claims it until it records its end. If the worker
is killed (`kill -9`, out of memory, a lost machine) that end never comes, and the one-active-run
rule would refuse every later run for ever. So a worker holds a lock that the system drops the
moment the process dies: a session-level advisory lock on PostgreSQL (released when the
connection goes, on whichever machine the worker ran), an exclusive `flock` on a lock file next to
the database on SQLite (an embedded database: its workers share the machine). Whoever wants to
start a run first tries that lock for the active one: getting it proves the worker is gone, and
the run is marked failed. The run's writes are one transaction, so a dead worker left nothing
half-applied, and its records are still pending for the next run.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection
from django.utils import timezone

from profiles.choices import RunStatus
from profiles.constants import MATCH_RUN_LOCK
from profiles.models import MatchRun

logger = logging.getLogger(__name__)

# Locks this process holds, by run id (the open lock file on SQLite, None on PostgreSQL).
_HELD: dict[int, IO[str] | None] = {}


def _lock_path(run_id: int) -> Path:
    database = str(connection.settings_dict.get("NAME") or "default")
    if "memory" in database:  # an in-memory database lives in this process only
        database += f":{os.getpid()}"
    tag = hashlib.sha256(database.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"mdm-run-{tag}-{run_id}.lock"


def run_lock_take(run_id: int) -> bool:
    """Take the run's worker lock without waiting; False if a live process holds it."""
    if run_id in _HELD:
        return True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [MATCH_RUN_LOCK, run_id])
            taken = bool(cursor.fetchone()[0])
        if taken:
            _HELD[run_id] = None
        return taken
    handle = open(_lock_path(run_id), "a+")  # noqa: SIM115 - held open for as long as the run runs
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _HELD[run_id] = handle
    return True


def run_lock_release(run_id: int) -> None:
    """Give the lock back (the run ended, or the claim did not go through)."""
    if run_id not in _HELD:
        return
    handle = _HELD.pop(run_id)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [MATCH_RUN_LOCK, run_id])
        return
    if handle is not None:
        path = Path(handle.name)
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
        path.unlink(missing_ok=True)


def _worker_gone(run_id: int) -> bool:
    if run_id in _HELD:
        return False  # this very process runs it
    if run_lock_take(run_id):
        run_lock_release(run_id)
        return True
    return False


def match_runs_reap(*, now: object = None) -> list[int]:
    """Mark failed the active runs whose worker died, and queued runs no worker picked up within
    the queue's retry time; returns their ids."""
    now = now or timezone.now()
    queue_timeout = timedelta(seconds=settings.Q_CLUSTER.get("retry", 3600))
    reaped = []
    for run in MatchRun.objects.filter(is_active=True).only("pk", "status", "stage", "created_at"):
        if run.status == RunStatus.RUNNING and _worker_gone(run.pk):
            error = f"the worker died during {run.stage or 'the run'} (its lock was released); nothing was applied"
        elif run.status == RunStatus.QUEUED and run.created_at < now - queue_timeout:
            error = f"no worker picked the run up within {int(queue_timeout.total_seconds())}s"
        else:
            continue
        updated = MatchRun.objects.filter(pk=run.pk, status=run.status, is_active=True).update(
            status=RunStatus.FAILED, is_active=False, finished_at=now, error=error
        )
        if updated:
            logger.warning("match run %s marked failed: %s", run.pk, error)
            reaped.append(run.pk)
    return reaped
