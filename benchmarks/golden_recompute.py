"""Golden-record recompute benchmark: survivorship throughput (records/s) on PostgreSQL.

    python -m benchmarks.golden_recompute [--people 44000] [--repeat 3] [--database-url URL]

Generates the multi-source data set (about 2.3 records a person, so the default is ~100k source
records), imports it, resolves it with a full match run, then times `golden_records_recompute_all`
(every active golden record: survivorship with provenance, relationships, change log):

* cold: golden attributes and relationships emptied first, so every row is computed and written;
* warm: nothing changed since the last recompute, so rows are computed and compared, none written;
* rule change: the email rule switched to highest trust, so the changed emails are rewritten
  (and logged as updates), then switched back;
* single: one golden record recomputed after a steward pin and unpin, as the services do it
  (latency in ms, median and p95, with the number of queries).

Prints one JSON object. Uses its own database (mdm_bench_golden) so it can run beside the other
benchmarks.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from benchmarks.common import django_setup, machine_info, peak_rss_mib, reset_peak_rss, summarise, use_fresh_postgres

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_golden"


def _import(directory: Path) -> int:
    from connectors.models import SourceSystem
    from connectors.services.records import records_import
    from governance.services import catalog_load

    catalog_load(path=directory / "catalog.yaml")
    rows = 0
    for source in SourceSystem.objects.all():
        path = next(p for p in directory.iterdir() if p.stem == source.code and p.suffix in (".csv", ".jsonl"))
        rows += records_import(source=source, path=path, actor="benchmark").rows_read
    return rows


def _empty_golden() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE profiles_goldenattribute, profiles_relationship")


def _analyze() -> None:
    """Planner statistics of the freshly loaded tables, as autovacuum would have them by now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _recompute_all() -> tuple[float, dict[str, int]]:
    from profiles.services.golden import golden_records_recompute_all

    started = time.perf_counter()
    figures = golden_records_recompute_all(actor="benchmark")
    return time.perf_counter() - started, figures


def _single(samples: int, seed: int) -> dict[str, object]:
    """Pin then unpin a value on random golden records: each recomputes one golden record."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from profiles.models import Customer, GoldenAttribute
    from profiles.services.values import value_pin, value_unpin

    ids = list(GoldenAttribute.objects.filter(attribute="email").values_list("customer_id", flat=True)[:20_000])
    rng = random.Random(seed)
    seconds, queries = [], []
    for customer_id in rng.sample(ids, min(samples, len(ids))):
        customer = Customer.objects.get(pk=customer_id)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            value_pin(customer=customer, attribute="email", value="pinned@example.com", actor="benchmark")
            seconds.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
        value_unpin(customer=customer, attribute="email", actor="benchmark")
    return {"pin_ms": summarise(seconds), "queries_per_pin": max(queries) if queries else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=44_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=int, default=200, help="single-record recomputes to time")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    use_fresh_postgres(args.database_url)
    django_setup()
    from benchmarks.datagen import generate
    from connectors.models import SourceRecord
    from profiles.choices import CustomerStatus, RunMode, RunStatus, SurvivorshipStrategy
    from profiles.models import Customer, CustomerChange, GoldenAttribute, SurvivorshipRule
    from profiles.services.resolution import resolve_now

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        generate(args.people, args.seed, data)
        rows = _import(data)
    run = resolve_now(mode=RunMode.FULL, actor="benchmark")
    if run.status != RunStatus.SUCCEEDED:
        raise SystemExit(f"resolve failed: {run.error}")
    _analyze()
    records = SourceRecord.objects.filter(is_deleted=False, customer__isnull=False).count()
    customers = Customer.objects.filter(status=CustomerStatus.ACTIVE).count()

    cold, warm, peaks = [], [], []
    figures: dict[str, int] = {}
    for _ in range(args.repeat):
        _empty_golden()
        reset_peak_rss()
        seconds, figures = _recompute_all()
        peaks.append(peak_rss_mib())
        cold.append(records / seconds)
        seconds, _ = _recompute_all()
        warm.append(records / seconds)

    email = SurvivorshipRule.objects.get(attribute="email")
    original = email.strategy
    changes_before = CustomerChange.objects.count()
    SurvivorshipRule.objects.filter(pk=email.pk).update(strategy=SurvivorshipStrategy.HIGHEST_TRUST, min_trust=0)
    seconds, rule_figures = _recompute_all()
    rule_change = {
        "records_per_s": round(records / seconds, 1),
        "seconds": round(seconds, 3),
        "golden_records_changed": rule_figures["changed"],
        "changes_logged": CustomerChange.objects.count() - changes_before,
    }
    SurvivorshipRule.objects.filter(pk=email.pk).update(strategy=original, min_trust=email.min_trust)
    _recompute_all()

    print(
        json.dumps(
            {
                "benchmark": "golden_recompute",
                "database": "postgresql",
                "people": args.people,
                "rows_imported": rows,
                "records": records,
                "golden_records": customers,
                "golden_attribute_rows": GoldenAttribute.objects.count(),
                "resolve_full_seconds": run.seconds,
                "resolve_timings": run.timings,
                "cold_records_per_s": summarise(cold),
                "cold_rows_written": figures.get("rows_written", 0),
                "warm_unchanged_records_per_s": summarise(warm),
                "rule_change": rule_change,
                "single_record": _single(args.samples, args.seed),
                "peak_rss_mib_recompute": max(peaks),
                "machine": machine_info(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
