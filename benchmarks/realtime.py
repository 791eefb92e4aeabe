"""Real-time identity resolution of single new or changed records against ~100k stored records.

    python -m benchmarks.realtime --people 43500 [--samples 200] [--seed 7]
        [--database-url postgres://postgres@127.0.0.1:5432/mdm_bench_realtime]

On a fresh PostgreSQL database, generates the multi-source data set (about 2.3 records a person, so
43,500 people ~ 100k records), imports it and resolves it fully through the product's normal path
(``benchmarks.resolve_e2e``), then runs ``ANALYZE`` (as autovacuum soon would after such a load). Then,
one sample at a time, a record is written the way an import writes it
(``standardise_row`` through the source's mapping, ``pending_resolution`` set) and
``profiles.services.resolution.records_resolve_now(record_ids=[pk])`` is timed - only that call.

Samples (shares of ``--samples``):

* ``copy_typo`` (60%): an existing record copied under a new id in its own source, with one typo in a
  name; expected: linked to the golden record of the record it was copied from;
* ``changed`` (20%): an existing record updated in place with one typo in a name; expected: still in the
  golden record it was in;
* ``new_person`` (20%): a person nobody holds (unique e-mail, random name and birth date); expected: a
  new golden record of its own.

Prints one JSON object: the setup figures, call latency median / p95 / max in ms (overall and per kind),
per kind how many records ended where expected, and what one call sends to the database: SQL statements
through Django (``queries``, what ``django_assert_num_queries`` counts) and round trips at the driver
(``round_trips``: those statements plus COPY streams, server-side cursor fetches, BEGIN and COMMIT).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks.common import machine_info
from benchmarks.resolve_e2e import django_ready, import_all, resolve_full, write_multisource

DEFAULT_REALTIME_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_realtime"
TARGET_P95_MS = 50.0
KIND_SHARES = (("copy_typo", 0.6), ("changed", 0.2), ("new_person", 0.2))
NAME_ATTRIBUTES = ("given_name", "family_name", "full_name")


@dataclass
class Sample:
    """One real-time resolution: what was written, how long the call took, where the record ended."""

    kind: str
    record_id: int
    expected_customer: int | None  # None for a new person: expected alone in a new golden record
    millis: float = 0.0
    queries: int = 0
    round_trips: int | None = None
    returned_customer: int | None = None
    ok: bool = False
    truth_ok: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


class DatabaseCalls:
    """Counts what the code inside `counting()` sends to the database: SQL statements through
    Django's execute wrapper, and round trips at the driver (psycopg: statements, plus commands
    such as BEGIN, COMMIT and server-side cursor fetches, plus COPY streams). The driver count
    relies on psycopg internals and is None where they are not found."""

    def __init__(self) -> None:
        self.statements = 0
        self.commands = 0
        self.copies = 0
        self.driver = False

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        from django.db import connection

        def count(execute, sql, params, many, context):  # noqa: ANN001, ANN202 - Django's wrapper signature
            self.statements += 1
            return execute(sql, params, many, context)

        with contextlib.ExitStack() as stack:
            stack.enter_context(connection.execute_wrapper(count))
            stack.enter_context(self._driver_hooks())
            yield

    @contextlib.contextmanager
    def _driver_hooks(self) -> Iterator[None]:
        try:
            import psycopg
            from psycopg import _connection_base
        except ImportError:
            yield
            return
        base = _connection_base.BaseConnection
        exec_command, copy = getattr(base, "_exec_command", None), getattr(psycopg.Cursor, "copy", None)
        if exec_command is None or copy is None:
            yield
            return
        counter = self

        def counted_command(conn, *args, **kwargs):  # noqa: ANN001, ANN202 - a psycopg generator
            counter.commands += 1
            return (yield from exec_command(conn, *args, **kwargs))

        def counted_copy(cursor, *args, **kwargs):  # noqa: ANN001, ANN202
            counter.copies += 1
            return copy(cursor, *args, **kwargs)

        base._exec_command, psycopg.Cursor.copy = counted_command, counted_copy
        self.driver = True
        try:
            yield
        finally:
            base._exec_command, psycopg.Cursor.copy = exec_command, copy

    def take(self) -> tuple[int, int | None]:
        """(statements, round trips) since the last take."""
        figures = (self.statements, self.statements + self.commands + self.copies if self.driver else None)
        self.statements = self.commands = self.copies = 0
        return figures


def typo(text: str, rng: random.Random) -> str:
    """One realistic typo: swap two adjacent letters, or drop or double one (never a no-op)."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 3:
        return text + text[-1:]
    for _ in range(10):
        i = rng.choice(letters[1:-1])
        how = rng.choice(("swap", "drop", "double"))
        if how == "swap" and i + 1 < len(text) and text[i] != text[i + 1] and text[i + 1].isalpha():
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if how == "drop":
            return text[:i] + text[i + 1 :]
        if how == "double":
            return text[:i] + text[i] + text[i:]
    return text[:-1]


class Writer:
    """Writes records exactly as an import would standardise them, without the file round trip."""

    def __init__(self) -> None:
        from connectors.models import SourceSystem
        from connectors.services.records import source_row_mapping

        self.sources = {s.pk: s for s in SourceSystem.objects.all()}
        self.mappings = {pk: source_row_mapping(s) for pk, s in self.sources.items()}

    def fields(self, source_id: int, values: dict[str, Any]) -> dict[str, Any]:
        """The stored columns of one row of this source, as `records_import` writes them."""
        from django.utils import timezone

        from connectors.row_standardisation import standardise_row
        from connectors.services.records import content_hash, parse_source_timestamp

        source = self.sources[source_id]
        fields = standardise_row(values, {}, self.mappings[source_id])
        updated_at = None
        if source.updated_at_field:
            try:
                updated_at = parse_source_timestamp(values.get(source.updated_at_field))
            except ValueError:
                updated_at = None
        fields.update(
            raw=values,
            source_updated_at=updated_at,
            received_at=timezone.now(),
            content_hash=content_hash(values),
            is_deleted=False,
            pending_resolution=True,
        )
        return fields

    def name_columns(self, source_id: int, values: dict[str, Any]) -> list[str]:
        """Columns of this row that carry a non-empty name."""
        mapping = self.sources[source_id].mapping
        columns = [mapping[a]["field"] for a in NAME_ATTRIBUTES if a in mapping]
        return [c for c in columns if isinstance(values.get(c), str) and len(values[c].strip()) >= 3]

    def create(self, source_id: int, external_id: str, values: dict[str, Any]) -> int:
        from connectors.models import SourceRecord

        record = SourceRecord.objects.create(
            source_id=source_id, external_id=external_id, **self.fields(source_id, values)
        )
        return record.pk

    def update(self, pk: int, source_id: int, values: dict[str, Any]) -> None:
        from connectors.models import SourceRecord

        SourceRecord.objects.filter(pk=pk).update(**self.fields(source_id, values))


def _golden_of(record_id: int) -> int | None:
    """The live golden record now holding this record (following a merge redirect)."""
    from connectors.models import SourceRecord

    row = SourceRecord.objects.filter(pk=record_id).values_list("customer_id", "customer__merged_into_id").first()
    if row is None or row[0] is None:
        return None
    return row[1] or row[0]


def _new_person_values(source_id: int, writer: Writer, index: int, rng: random.Random) -> dict[str, Any]:
    """A row for a person nobody holds, in the source's own column names."""
    from benchmarks import names

    given = rng.choice((names.MALE_GIVEN + names.FEMALE_GIVEN).split())
    family = rng.choice(names.SURNAME_HEADS.split()) + rng.choice(names.SURNAME_TAILS.split())
    source = writer.sources[source_id]
    mapping = source.mapping
    values: dict[str, Any] = {source.id_field: f"rt-new-{index}"}
    canonical = {
        "given_name": given,
        "family_name": family,
        "full_name": f"{given} {family}",
        "email": f"{given}.{family}.rt{index}@example.org".lower(),
        "date_of_birth": None,
    }
    for attribute, value in canonical.items():
        if attribute in mapping and value is not None:
            values[mapping[attribute]["field"]] = value
    if "date_of_birth" in mapping:
        year, month, day = rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)
        fmt = mapping["date_of_birth"].get("format") or "%Y-%m-%d"
        values[mapping["date_of_birth"]["field"]] = date(year, month, day).strftime(fmt)
    if source.updated_at_field:
        values[source.updated_at_field] = "2025-07-01T00:00:00Z"
    return values


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency(values: list[float]) -> dict[str, float]:
    """Median, p95 and max of call times in ms."""
    if not values:
        return {}
    return {
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(_percentile(values, 0.95), 2),
        "max_ms": round(max(values), 2),
        "samples": len(values),
    }


def read_truth(path: Path) -> dict[tuple[str, str], str]:
    """(source, source id) -> true entity, from the generator's truth.csv."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["source"], row["source_id"]): row["entity_id"] for row in csv.DictReader(handle)}


def run_samples(count: int, seed: int, truth: dict[tuple[str, str], str]) -> list[Sample]:
    """Write and resolve `count` records one by one, timing only `records_resolve_now`.

    `truth` is extended with the records written here (a copy is its original's person)."""
    from connectors.models import SourceRecord
    from profiles.services.resolution import records_resolve_now

    rng = random.Random(f"{seed}:realtime")
    writer = Writer()
    calls = DatabaseCalls()
    linked = list(
        SourceRecord.objects.filter(is_deleted=False, customer__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)
    )
    kinds = [kind for kind, share in KIND_SHARES for _ in range(round(share * count))][:count]
    kinds += ["copy_typo"] * (count - len(kinds))
    rng.shuffle(kinds)
    samples: list[Sample] = []
    for index, kind in enumerate(kinds):
        if kind == "new_person":
            source_id = rng.choice(sorted(writer.sources))
            values = _new_person_values(source_id, writer, index, rng)
            external_id = values[writer.sources[source_id].id_field]
            pk = writer.create(source_id, external_id, values)
            truth[(writer.sources[source_id].code, external_id)] = f"rt-new-{index}"
            sample = Sample(kind, pk, None, detail={"source": writer.sources[source_id].code})
        else:
            while True:  # an existing record carrying a name to misspell
                original = SourceRecord.objects.get(pk=rng.choice(linked))
                values = dict(original.raw)
                columns = writer.name_columns(original.source_id, values)
                if columns:
                    break
            column = rng.choice(columns)
            before, values[column] = values[column], typo(values[column], rng)
            code = writer.sources[original.source_id].code
            detail = {"source": code, "column": column, "entity": truth.get((code, original.external_id))}
            detail["typo"] = f"{before} -> {values[column]}"
            if kind == "copy_typo":
                id_field = writer.sources[original.source_id].id_field
                values[id_field] = f"rt-copy-{index}"
                pk = writer.create(original.source_id, values[id_field], values)
                truth[(code, values[id_field])] = detail["entity"]
                detail["copied_from"] = original.pk
            else:
                pk = original.pk
                writer.update(pk, original.source_id, values)
            sample = Sample(kind, pk, _golden_of(original.pk), detail=detail)

        calls.take()
        with calls.counting():
            started = time.perf_counter()
            result = records_resolve_now(record_ids=[pk], actor="benchmark")
            sample.millis = (time.perf_counter() - started) * 1000
        sample.queries, sample.round_trips = calls.take()
        sample.returned_customer = result.get(pk)
        _check(sample, truth)
        samples.append(sample)
    return samples


def _check(sample: Sample, truth: dict[tuple[str, str], str]) -> None:
    """Did the record end where expected, and is that right by the truth? (Untimed.)

    `ok`: a copy is with the golden record of its original, a changed record stays in its golden
    record, a new person is alone. `truth_ok`: the golden record holds, besides this record, only
    records of the same true person, and at least one of them when that person has other records."""
    from connectors.models import SourceRecord

    now = _golden_of(sample.record_id)
    others = (
        SourceRecord.objects.filter(customer_id=now, is_deleted=False)
        .exclude(pk=sample.record_id)
        .values_list("source__code", "external_id")
    )
    entities = {truth.get(key, "?") for key in others} if now is not None else {"?"}
    if sample.kind == "new_person":
        sample.ok = sample.truth_ok = now is not None and not entities
        return
    entity = sample.detail["entity"]
    has_others = sum(1 for value in truth.values() if value == entity) > 1
    sample.truth_ok = entities == {entity} if has_others else not entities
    if sample.kind == "copy_typo":
        # The original may have been merged meanwhile: compare with where it is now.
        expected_now = _golden_of(sample.detail["copied_from"])
        sample.ok = now is not None and now == expected_now
        sample.detail["original_golden_kept"] = expected_now == sample.expected_customer
    else:
        sample.ok = now is not None and now == sample.expected_customer
    sample.detail["ended_in"] = now


def counts(samples: list[Sample]) -> dict[str, Any]:
    """Median, min and max of the statements and round trips of each call."""
    out: dict[str, Any] = {}
    for name in ("queries", "round_trips"):
        values = [getattr(s, name) for s in samples if getattr(s, name) is not None]
        if values:
            out[name] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return out


def report(samples: list[Sample]) -> dict[str, Any]:
    """Latency and outcome figures overall and per kind."""
    out: dict[str, Any] = {"latency": latency([s.millis for s in samples])}
    out["database_calls_per_call"] = counts(samples)
    out["first_call_ms"] = round(samples[0].millis, 2) if samples else None
    per_kind: dict[str, Any] = {}
    for kind, _ in KIND_SHARES:
        chosen = [s for s in samples if s.kind == kind]
        if not chosen:
            continue
        ok = sum(s.ok for s in chosen)
        per_kind[kind] = {
            **latency([s.millis for s in chosen]),
            "database_calls_per_call": counts(chosen),
            "as_expected": ok,
            "as_expected_rate": round(ok / len(chosen), 4),
            "truth_correct_rate": round(sum(s.truth_ok for s in chosen) / len(chosen), 4),
            "returned_no_customer": sum(s.returned_customer is None for s in chosen),
        }
    out["per_kind"] = per_kind
    out["as_expected_rate"] = round(sum(s.ok for s in samples) / len(samples), 4) if samples else None
    out["truth_correct_rate"] = round(sum(s.truth_ok for s in samples) / len(samples), 4) if samples else None
    out["unexpected_examples"] = [
        {"kind": s.kind, "record": s.record_id, "expected": s.expected_customer, "truth_ok": s.truth_ok, **s.detail}
        for s in samples
        if not s.ok
    ][:12]
    return out


def analyze() -> None:
    """Refresh the planner's statistics after the bulk load, as autovacuum soon would: the calls
    are timed against a database in its steady state, not one whose statistics predate 100k rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    """Set up ~100k resolved records, then time real-time resolution of `--samples` records."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=43_500)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=DEFAULT_REALTIME_URL)
    args = parser.parse_args(argv)

    django_ready(args.database_url)
    with TemporaryDirectory(prefix="mdm-realtime-") as tmp:
        data_dir = Path(tmp) / "data"
        info = write_multisource(args.people, args.seed, data_dir)
        imported = import_all(data_dir)
        truth = read_truth(data_dir / "truth.csv")
    run, resolved = resolve_full()
    if run.status != "succeeded":
        print(json.dumps({"benchmark": "realtime", "error": f"the full run failed: {run.error}"}, indent=2))
        return 1
    analyze()
    samples = run_samples(args.samples, args.seed, truth)
    figures = report(samples)
    p95 = figures["latency"].get("p95_ms")
    print(
        json.dumps(
            {
                "benchmark": "realtime",
                "database": "postgresql",
                "people": args.people,
                "seed": args.seed,
                "records": info["records"],
                "setup": {
                    "import_seconds": imported["seconds"],
                    "full_resolve_seconds": resolved["seconds"],
                    "full_resolve_stages": resolved["stages"],
                    "run": run.summary(),
                },
                "call": "profiles.services.resolution.records_resolve_now(record_ids=[pk], actor='benchmark')",
                **figures,
                "target": {"p95_ms_max": TARGET_P95_MS, "met": p95 is not None and p95 <= TARGET_P95_MS},
                "machine": machine_info(),
            },
            indent=2,
            default=str,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
