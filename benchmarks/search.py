"""Customer search latency through the page's filter (`CustomerFilterSet` over `selectors.customer_list`).

    python -m benchmarks.search --database-url postgres://postgres@127.0.0.1:5432/mdm_bench_scale
        [--samples 200] [--seed 1] [--populate PEOPLE]

Runs against a database that already holds resolved golden records (for instance the one
``python -m benchmarks.scale --people 435000 --keep`` leaves behind); ``--populate N`` first generates N people
and takes them through the product path (fresh database, import, full resolve) with ``benchmarks.scale``.

Query texts are drawn (seeded) from the stored data, the way a steward types them:

* ``name``: a golden family name, a "given family" full name, or the first 5+ letters of a family name
  (``?q=``, trigram ``icontains`` on the golden name);
* ``email``: a source record's e-mail as typed (``?q=`` with an ``@``: golden e-mail substring + source
  e-mail match key) and the same through the ``?email=`` filter;
* ``phone``: a source record's phone in national form (``?q=`` digits, and the ``?phone=`` filter).

Each query is timed as the page runs it: ``CustomerFilterSet(data).qs`` paginated by 50
(``Paginator.get_page(1)``: the count, then the first page's rows with their record counts and conflict
flags). Prints one JSON object: golden records and source records held, then median / p95 / max
milliseconds and the median hit count per kind, with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine_info

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_scale"
TARGET_P95_MS = 100.0


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])


def _national(e164: str) -> str:
    """'+61291234567' -> '02 9123 4567'-like national digits (trunk 0 + the rest)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def queries(samples: int, seed: int) -> dict[str, list[dict[str, str]]]:
    """Seeded query texts per kind, drawn from stored golden records and source records."""
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT given_name, family_name FROM profiles_customer TABLESAMPLE SYSTEM (5) REPEATABLE (%s) "
            "WHERE status = 'active' AND family_name <> '' LIMIT %s",
            [seed, samples * 3],
        )
        names = cur.fetchall()
        cur.execute(
            "SELECT email, phone_key FROM connectors_sourcerecord TABLESAMPLE SYSTEM (5) REPEATABLE (%s) "
            "WHERE is_deleted = false AND (email <> '' OR phone_key <> '') LIMIT %s",
            [seed, samples * 6],
        )
        contacts = cur.fetchall()
    rng.shuffle(names)
    rng.shuffle(contacts)
    out: dict[str, list[dict[str, str]]] = {"name": [], "email": [], "phone": []}
    for i, (given, family) in enumerate(names[:samples]):
        shape = i % 3
        if shape == 0:
            text = family
        elif shape == 1:
            text = f"{given} {family}".strip()
        else:
            text = family[: max(5, len(family) - 2)]
        out["name"].append({"q": text})
    emails = [e for e, _ in contacts if e]
    phones = [p for _, p in contacts if p]
    for i, email in enumerate(emails[:samples]):
        out["email"].append({"q": email} if i % 2 == 0 else {"email": email})
    for i, phone in enumerate(phones[:samples]):
        local = _national(phone)
        out["phone"].append({"q": local} if i % 2 == 0 else {"phone": local})
    return out


def time_one(data: dict[str, str]) -> tuple[float, int]:
    """One page request's database work: filter, count, first page of 50 (as customer_list_view)."""
    from django.core.paginator import Paginator

    from profiles.filtersets import CustomerFilterSet

    started = time.perf_counter()
    filterset = CustomerFilterSet(data)
    if not filterset.is_valid():
        raise ValueError(f"invalid filter {data}: {filterset.errors}")
    page = Paginator(filterset.qs, 50).get_page(1)
    rows = list(page.object_list)
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, max(len(rows), page.paginator.count)


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "samples": len(ordered),
    }


def main(argv: list[str] | None = None) -> int:
    """Optionally populate, then time every drawn query once after a short warm-up."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--samples", type=int, default=200, help="queries per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--populate", type=int, default=None, help="first load this many people (scale path)")
    parser.add_argument(
        "--jit-off",
        action="store_true",
        help="SET jit = off for the session (PostgreSQL's JIT compiles the correlated EXISTS plans of ?email= / "
        "?phone= for 150+ ms; what OPTIONS={'options': '-c jit=off'} would do in the settings)",
    )
    args = parser.parse_args(argv)

    if args.populate:
        from benchmarks.scale import one_size

        one_size(args.populate, 7, Path("/tmp/mdm-scale"), args.database_url, 1800)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mdm.settings")
    import django

    django.setup()
    from django.db import connection

    from connectors.models import SourceRecord
    from profiles.models import Customer

    with connection.cursor() as cur:
        if args.jit_off:
            cur.execute("SET jit = off")
        cur.execute("ANALYZE profiles_customer")
        cur.execute("ANALYZE connectors_sourcerecord")
    drawn = queries(args.samples, args.seed)
    for data in [d for kind in drawn.values() for d in kind[:5]]:  # warm the caches a little
        time_one(data)
    load_before = _load()
    report: dict[str, Any] = {
        "benchmark": "search",
        "database": connection.vendor,
        "golden_records": Customer.objects.filter(status="active").count(),
        "source_records": SourceRecord.objects.filter(is_deleted=False).count(),
        "jit": "off" if args.jit_off else "server default",
        "kinds": {},
    }
    every: list[float] = []
    for kind, items in drawn.items():
        times, hits = [], []
        for data in items:
            ms, count = time_one(data)
            times.append(ms)
            hits.append(count)
        every += times
        if times:
            report["kinds"][kind] = {**_stats(times), "median_hits": statistics.median(hits)}
    report["all"] = _stats(every) if every else {}
    report["target_p95_ms"] = TARGET_P95_MS
    report["met"] = bool(every) and report["all"]["p95_ms"] <= TARGET_P95_MS
    report["load_before"], report["load_after"] = load_before, _load()
    report["machine"] = machine_info()
    json.dump(report, sys.stdout, indent=2, default=str)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
