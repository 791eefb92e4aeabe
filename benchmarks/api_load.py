"""Upsert of 1000 records per request through the REST API, with real-time identity resolution.

    python -m benchmarks.api_load --people 43500 [--requests 7] [--batch 1000] [--seed 11]
        [--database-url postgres://postgres@127.0.0.1:5432/mdm_bench_api] [--url http://127.0.0.1:8000]
        [--reuse] [--profile upsert.html]

On a fresh PostgreSQL database, generates the multi-source data set (about 2.3 records a person, so
43,500 people ~ 100k records), imports it and resolves it fully through the product's normal path.
Then a write token is issued and `--requests` requests of `--batch` CRM records each are sent to
`POST /api/v1/sources/crm/records/` (after one warm-up request, not counted). Each request mixes:
60% existing people copied under a new CRM id with a typo in the first name (expected: linked to
an existing golden record), 20% updates of stored CRM records (new phone, newer timestamp) and 20%
new people. By default requests go through Django's full WSGI stack in this process (test client);
`--url` sends them to a running server instead (e.g. gunicorn on the same database). `--reuse` keeps a
database that already holds records (e.g. one restored from a `pg_dump` of an earlier setup) instead of
recreating it; `--profile FILE` writes a pyinstrument profile (HTML, or text for other suffixes) of the
timed requests (`pip install pyinstrument`).

Prints one JSON object: setup figures, seconds per request (median / p95 / max), outcomes, the share
of records answered with a golden id, and whether the 1.5 s target was met.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks.common import machine_info, summarise
from benchmarks.realtime import typo
from benchmarks.resolve_e2e import django_ready, import_all, resolve_full, write_multisource

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_api"
TARGET_SECONDS = 1.5
SOURCE = "crm"


def _payloads(count: int, batch: int, seed: int) -> list[list[dict[str, Any]]]:
    """`count` request bodies of `batch` CRM records each (see the module docstring for the mix)."""
    from connectors.models import SourceRecord

    rng = random.Random(seed)
    stored = list(SourceRecord.objects.filter(source__code=SOURCE, is_deleted=False).values_list("raw", flat=True))
    rng.shuffle(stored)
    bodies = []
    serial = 0
    for request in range(count):
        body = []
        for i in range(batch):
            roll = rng.random()
            base = dict(stored[(request * batch + i) % len(stored)])
            serial += 1
            if roll < 0.6:
                base["Id"] = f"API-{seed}-{serial}"
                if isinstance(base.get("FirstName"), str) and base["FirstName"].strip():
                    base["FirstName"] = typo(base["FirstName"].strip(), rng)
            elif roll < 0.8:
                base["Phone"] = f"04{rng.randrange(10**8):08d}"
                base["LastModified"] = f"2027-01-{1 + request % 28:02d}T00:00:00Z"
            else:
                base = {
                    "Id": f"API-NEW-{seed}-{serial}",
                    "FirstName": rng.choice(["Quill", "Marlowe", "Odessa", "Thaddeus", "Ines", "Caspian"]),
                    "LastName": f"Benchperson{serial}",
                    "Email": f"bench.{seed}.{serial}@example.net",
                    "LastModified": "2027-01-01T00:00:00Z",
                }
            body.append(base)
        bodies.append(body)
    return bodies


def _sender(url: str | None, token: str):  # noqa: ANN202 - a callable
    """A function sending one body and answering (status, JSON), in process or over HTTP."""
    path = f"/api/v1/sources/{SOURCE}/records/"
    if url:
        import requests

        session = requests.Session()
        session.headers.update({"Authorization": f"Token {token}"})

        def send_http(body: bytes) -> tuple[int, Any]:
            response = session.post(
                url.rstrip("/") + path, data=body, headers={"Content-Type": "application/json"}, timeout=120
            )
            return response.status_code, response.json()

        return send_http
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")

    def send(body: bytes) -> tuple[int, Any]:
        response = client.post(path, data=body, content_type="application/json")
        return response.status_code, response.json()

    return send


def setup_data(people: int, seed: int, work: Path) -> dict[str, Any]:
    """Generate, import and fully resolve the data set, then ANALYZE (as autovacuum soon would)."""
    from django.db import connection

    setup: dict[str, Any] = {"data": write_multisource(people, seed, work)}
    setup["import"] = import_all(work)
    _, setup["resolve"] = resolve_full()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return setup


def run(
    people: int,
    requests: int,
    batch: int,
    seed: int,
    url: str | None,
    work: Path,
    reuse: bool = False,
    profile: str | None = None,
) -> dict[str, Any]:
    from access.services import api_token_issue
    from connectors.models import SourceRecord, SourceSystem
    from profiles.models import Customer

    reused = reuse and SourceRecord.objects.exists()
    setup: dict[str, Any] = {"reused_database": True} if reused else setup_data(people, seed, work)
    setup["records"] = SourceRecord.objects.count()
    setup["golden_records"] = Customer.objects.filter(status="active").count()
    source = SourceSystem.objects.get(code=SOURCE)
    _, token = api_token_issue(name="benchmark", scope="write", source=source, actor="benchmark")
    send = _sender(url, token)
    bodies = [json.dumps(b).encode() for b in _payloads(requests + 1, batch, seed)]
    status, answer = send(bodies[0])  # warm-up: the model and caches of this process
    if status != 200:
        raise SystemExit(f"warm-up request failed: HTTP {status}: {answer}")
    seconds: list[float] = []
    outcomes: dict[str, int] = {}
    with_golden = total = 0
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    for body in bodies[1:]:
        if profiler:
            profiler.start()
        started = time.perf_counter()
        status, answer = send(body)
        seconds.append(time.perf_counter() - started)
        if profiler:
            profiler.stop()
        if status != 200:
            raise SystemExit(f"request failed: HTTP {status}: {answer}")
        for record in answer["records"]:
            outcomes[record["outcome"]] = outcomes.get(record["outcome"], 0) + 1
            with_golden += record["customer_id"] is not None
            total += 1
    if profiler and profile:
        Path(profile).write_text(
            profiler.output_html() if profile.endswith(".html") else profiler.output_text(show_all=False)
        )
    figures = summarise(seconds)
    return {
        "setup": setup,
        "requests": requests,
        "records_per_request": batch,
        "transport": url or "in-process WSGI (django.test.Client)",
        "seconds_per_request": {**figures, "max": round(max(seconds), 3), "mean": round(statistics.mean(seconds), 3)},
        "records_per_s": round(batch / figures["median"]),
        "outcomes": outcomes,
        "answered_with_golden_id": round(with_golden / max(total, 1), 4),
        "target_seconds": TARGET_SECONDS,
        "target_met": figures["p95"] <= TARGET_SECONDS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=43_500)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL database to drop and recreate")
    parser.add_argument("--url", help="send the requests to this running server instead of in process")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already holds records")
    parser.add_argument("--profile", help="write a pyinstrument profile of the timed requests to this file")
    args = parser.parse_args(argv)
    if args.reuse:
        os.environ["DATABASE_URL"] = args.database_url
        from benchmarks.common import django_setup

        django_setup()
    else:
        django_ready(args.database_url)
    started = time.perf_counter()
    with TemporaryDirectory() as work:
        figures = run(args.people, args.requests, args.batch, args.seed, args.url, Path(work), args.reuse, args.profile)
    figures["total_seconds"] = round(time.perf_counter() - started, 1)
    figures["machine"] = machine_info()
    figures["command"] = "python -m benchmarks." + Path(__file__).stem
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
