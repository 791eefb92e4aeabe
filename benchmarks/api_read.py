"""Read load on the REST API served by gunicorn: golden record detail and the changes feed.

    python -m benchmarks.api_read --people 43500 [--workers 2] [--threads 4] [--requests 6000]
        [--seconds 30] [--database-url postgres://postgres@127.0.0.1:5432/mdm_bench_api] [--reuse]
        [--client auto|wrk|python]

On a fresh PostgreSQL database (or, with `--reuse`, one that already holds records: e.g. the
database `api_load` left), generates the multi-source data set (43,500 people ~ 100k records,
~48k golden records), imports and resolves it fully. Then it starts `gunicorn mdm.wsgi` on a free
loopback port (`--workers` sync workers, DEBUG off, persistent database connections through
`DB_CONN_MAX_AGE`, the per-token rate limit raised out of the way with `MDM_API_RATE`), issues a
read token and measures:

* `GET /api/v1/customers/{id}/` for golden ids drawn at random from the active ones, by
  `--threads` concurrent keep-alive clients, at most `--requests` requests and `--seconds` seconds:
  median / p95 / p99 latency and requests/s. The client is `wrk` (with a Lua script drawing the ids)
  when it is installed, otherwise Python threads each with a `requests.Session` (heavier: it takes
  CPU from the server on a small machine).
* the changes feed read by one client the way a sync client reads it: `limit=1000` pages, `after`
  = the previous page's `next`, until `has_more` is false (or `--seconds`): changes/s.
* the statements one detail request sends to the database (in process, Django's test client).

Prints one JSON object; `target` says whether p99 ≤ 30 ms, ≥ 300 requests/s and ≥ 5,000 changes/s
were met.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine_info

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_api"
TARGET_P99_MS = 30.0
TARGET_RPS = 300.0
TARGET_CHANGES_PER_S = 5000.0
DETAIL = "/api/v1/customers/{}/"
FEED = "/api/v1/changes/"

WRK_SCRIPT = """
local ids = {%s}
local token = "%s"
math.randomseed(%d)
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/customers/" .. id .. "/", {["Authorization"] = "Token " .. token})
end
local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format(
    "RESULT {\\"requests\\": %%d, \\"seconds\\": %%.3f, \\"median_ms\\": %%.2f, \\"p95_ms\\": %%.2f, "
    .. "\\"p99_ms\\": %%.2f, \\"max_ms\\": %%.2f, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status
      + summary.errors.timeout))
end
"""


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, workers: int, port: int, conn_max_age: int) -> subprocess.Popen:
    """gunicorn serving the project on loopback, as deployed (DEBUG off), ready to answer."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "DB_CONN_MAX_AGE": str(conn_max_age),
        "MDM_API_RATE": "10000000/min",
        "DJANGO_SETTINGS_MODULE": "mdm.settings",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "mdm.wsgi",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--keep-alive",
        "30",
    ]
    server = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 60 s")


def _warm_up(base: str, token: str, ids: list[int], count: int) -> None:
    """Each worker imports the views, opens its database connection and builds its caches."""
    import requests

    with requests.Session() as session:
        session.headers["Authorization"] = f"Token {token}"
        for pk in ids[:count]:
            response = session.get(base + DETAIL.format(pk), timeout=30)
            if response.status_code != 200:
                raise SystemExit(f"warm-up GET failed: HTTP {response.status_code}: {response.text[:300]}")


def detail_load_python(base: str, token: str, ids: list[int], threads: int, count: int, seconds: float) -> dict:
    """`threads` keep-alive clients sending GETs for random ids until `count` requests or `seconds`."""
    import requests

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    sent = [0]
    deadline = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[float] = []
        codes: dict[int, int] = {}
        with requests.Session() as session:
            session.headers["Authorization"] = f"Token {token}"
            while time.perf_counter() < deadline:
                with lock:
                    if sent[0] >= count:
                        break
                    sent[0] += 1
                url = base + DETAIL.format(rng.choice(ids))
                started = time.perf_counter()
                response = session.get(url, timeout=30)
                mine.append(time.perf_counter() - started)
                codes[response.status_code] = codes.get(response.status_code, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "client": f"python threads ({threads} × requests.Session)",
        "requests": len(ordered),
        "seconds": round(wall, 2),
        "requests_per_s": round(len(ordered) / wall, 1),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(_percentile(ordered, 0.95) * 1000, 2),
        "p99_ms": round(_percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def detail_load_wrk(base: str, token: str, ids: list[int], threads: int, seconds: float, seed: int) -> dict:
    """The same load from `wrk` (C, one thread per core at most), for `seconds` seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % (",".join(map(str, ids)), token, seed))
    try:
        command = ["wrk", "-t", "1", "-c", str(threads), "-d", f"{max(1, round(seconds))}s", "-s", script.name, base]
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    figures = json.loads(line[len("RESULT ") :])
    return {
        "client": f"wrk (1 thread, {threads} connections)",
        "requests": figures["requests"],
        "seconds": figures["seconds"],
        "requests_per_s": round(figures["requests"] / figures["seconds"], 1),
        "median_ms": figures["median_ms"],
        "p95_ms": figures["p95_ms"],
        "p99_ms": figures["p99_ms"],
        "max_ms": figures["max_ms"],
        "errors": figures["errors"],
    }


def feed_read(base: str, token: str, seconds: float, limit: int = 1000) -> dict:
    """Page through the changes feed from the start like a sync client; changes read per second."""
    import requests

    changes = pages = 0
    after = 0
    page_seconds: list[float] = []
    deadline = time.perf_counter() + seconds
    with requests.Session() as session:
        session.headers["Authorization"] = f"Token {token}"
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            clock = time.perf_counter()
            response = session.get(base + FEED, params={"after": after, "limit": limit}, timeout=60)
            if response.status_code != 200:
                raise SystemExit(f"changes feed failed: HTTP {response.status_code}: {response.text[:300]}")
            body = response.json()
            page_seconds.append(time.perf_counter() - clock)
            changes += len(body["results"])
            pages += 1
            after = body["next"]
            if not body["has_more"]:
                break
        wall = time.perf_counter() - started
    return {
        "changes": changes,
        "pages": pages,
        "limit": limit,
        "seconds": round(wall, 2),
        "changes_per_s": round(changes / wall),
        "page_ms_median": round(statistics.median(page_seconds) * 1000, 1),
    }


def detail_statements(token: str, pk: int) -> int:
    """SQL statements one detail request sends (authentication included), in process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")
    client.get(DETAIL.format(pk))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(DETAIL.format(pk))
    if response.status_code != 200:
        raise SystemExit(f"detail GET failed in process: HTTP {response.status_code}")
    return len(captured.captured_queries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=43_500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL database to drop and recreate")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already holds records")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--requests", type=int, default=6000, help="at most this many detail requests (python client)")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long for each load")
    parser.add_argument("--conn-max-age", type=int, default=600, help="DB_CONN_MAX_AGE of the server")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    args = parser.parse_args(argv)

    from benchmarks.common import django_setup

    if args.reuse:
        os.environ["DATABASE_URL"] = args.database_url
        django_setup()
    else:
        from benchmarks.resolve_e2e import django_ready

        django_ready(args.database_url)
    from access.services import api_token_issue
    from connectors.models import SourceRecord
    from profiles.choices import CustomerStatus
    from profiles.models import Customer, CustomerChange

    started = time.perf_counter()
    setup: dict[str, Any] = {}
    if not (args.reuse and SourceRecord.objects.exists()):
        from benchmarks.api_load import setup_data

        with tempfile.TemporaryDirectory() as work:
            setup = setup_data(args.people, args.seed, Path(work))
    setup["records"] = SourceRecord.objects.count()
    ids = list(Customer.objects.filter(status=CustomerStatus.ACTIVE).values_list("pk", flat=True))
    setup["golden_records"] = len(ids)
    setup["changes"] = CustomerChange.objects.count()
    _, token = api_token_issue(name="read benchmark", scope="read", actor="benchmark")
    rng = random.Random(args.seed)
    rng.shuffle(ids)
    statements = detail_statements(token, ids[0])
    from django.db import connections

    connections.close_all()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    load_before = os.getloadavg()
    server = start_gunicorn(args.database_url, args.workers, port, args.conn_max_age)
    try:
        _warm_up(base, token, ids, 50 * args.workers)
        if use_wrk:
            detail = detail_load_wrk(base, token, ids, args.threads, args.seconds, args.seed)
        else:
            detail = detail_load_python(base, token, ids, args.threads, args.requests, args.seconds)
        feed = feed_read(base, token, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures = {
        "benchmark": "api_read",
        "setup": setup,
        "server": {
            "command": f"gunicorn mdm.wsgi --workers {args.workers} --bind 127.0.0.1:PORT",
            "DEBUG": False,
            "DB_CONN_MAX_AGE": args.conn_max_age,
        },
        "customer_detail": {**detail, "statements_per_request": statements},
        "changes_feed": feed,
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "target": {
            "p99_ms_max": TARGET_P99_MS,
            "requests_per_s_min": TARGET_RPS,
            "changes_per_s_min": TARGET_CHANGES_PER_S,
            "met": detail["p99_ms"] <= TARGET_P99_MS
            and detail["requests_per_s"] >= TARGET_RPS
            and feed["changes_per_s"] >= TARGET_CHANGES_PER_S,
        },
        "total_seconds": round(time.perf_counter() - started, 1),
        "machine": machine_info(),
        "command": "python -m benchmarks." + Path(__file__).stem,
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
