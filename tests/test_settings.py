"""Settings come from the environment (SPEC §1); checked in a fresh interpreter each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_in(env: dict[str, str], code: str) -> object:
    """Evaluate `code` after django.setup() in a subprocess with these environment variables."""
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "MDM_HTTPS", "MDM_QUEUE"}}
    script = (
        "import json, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mdm.settings'); django.setup(); "
        f"from django.conf import settings; from django.db import connection; print(json.dumps({code}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env={**base, **env}, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_defaults_are_safe_and_sqlite_runs_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    code = (
        "[settings.DEBUG, settings.SECURE_SSL_REDIRECT, "
        "connection.cursor().execute('PRAGMA journal_mode').fetchone()[0]]"
    )
    assert settings_in({"DATABASE_URL": url}, code) == [False, False, "wal"]


def test_https_turns_on_secure_cookies_hsts_and_redirect(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "MDM_HTTPS": "on", "DEBUG": "0"}
    code = (
        "[settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS > 0]"
    )
    assert settings_in(env, code) == [True, True, True, True]


def test_database_url_and_queue_choose_postgres_and_redis():
    env = {"DATABASE_URL": "postgres://u@db.example:5433/mdm", "MDM_QUEUE": "redis://127.0.0.1:6379/1"}
    code = (
        "[settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['PORT'], "
        "settings.Q_CLUSTER.get('redis'), 'orm' in settings.Q_CLUSTER]"
    )
    assert settings_in(env, code) == ["django.db.backends.postgresql", 5433, "redis://127.0.0.1:6379/1", False]


def test_a_redis_queue_carries_tasks_through_the_local_redis_broker():
    """MDM_QUEUE=redis://… (many worker machines) reaches a real Redis: a task enqueued there by
    one process is taken off it by the broker. Database 15 of the local server, emptied first."""
    base = {k: v for k, v in os.environ.items() if k != "MDM_QUEUE"}
    script = (
        "import json, os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mdm.settings'); django.setup()\n"
        "from django_q.brokers import get_broker\n"
        "broker = get_broker('mdm-settings-test')\n"
        "broker.purge_queue()\n"
        "broker.enqueue('task-1')\n"
        "taken = [bytes(message).decode() for _, message in broker.dequeue()]\n"
        "print(json.dumps([type(broker).__name__, taken, broker.queue_size()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**base, "MDM_QUEUE": "redis://127.0.0.1:6379/15"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["Redis", ["task-1"], 0]
