"""Ingest benchmark: rows/s and peak memory importing generated source files into PostgreSQL.

    python -m benchmarks.ingest [--people 44000] [--repeat 3] [--database-url URL]

Generates the multi-source data set (about 2.3 records a person, so the default is ~100k rows),
then, `--repeat` times on an emptied database: loads the catalog, imports every source file
(first import: standardisation and inserts) and imports them all again (unchanged rows: hash
comparison only). Prints one JSON object: rows, rows/s median and p95 for both, the re-import
speed-up, and peak RSS of the import phase against a 10% slice of the same data, which shows
that memory does not grow with the file.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.common import (
    DEFAULT_BENCH_URL,
    django_setup,
    machine_info,
    peak_rss_mib,
    reset_peak_rss,
    summarise,
    use_fresh_postgres,
)


def _source_files(directory: Path) -> list[tuple[str, Path]]:
    files = sorted([*directory.glob("*.csv"), *directory.glob("*.jsonl")])
    return [(f.stem, f) for f in files if f.stem not in {"activities", "truth"}]


def _import_all(files: list[tuple[str, Path]]) -> tuple[int, float]:
    from connectors.models import SourceSystem
    from connectors.services.records import records_import

    sources = {s.code: s for s in SourceSystem.objects.all()}
    rows = 0
    started = time.perf_counter()
    for code, path in files:
        rows += records_import(source=sources[code], path=path, actor="benchmark").rows_read
    return rows, time.perf_counter() - started


def _empty_database() -> None:
    """Drop every imported row at once (an ORM delete would load them all into memory first)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE connectors_activity, connectors_quarantinedrow, connectors_sourcerecord, "
            "connectors_importbatch CASCADE"
        )


def _slice(files: list[tuple[str, Path]], fraction: float, out: Path) -> list[tuple[str, Path]]:
    """The first `fraction` of every file, to compare memory at two sizes."""
    out.mkdir(parents=True, exist_ok=True)
    sliced = []
    for code, path in files:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        keep = lines[: max(2, int(len(lines) * fraction))]
        target = out / path.name
        target.write_text("".join(keep), encoding="utf-8")
        sliced.append((code, target))
    return sliced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=44_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=DEFAULT_BENCH_URL)
    args = parser.parse_args()

    use_fresh_postgres(args.database_url)
    django_setup()
    from benchmarks.datagen import generate
    from governance.services import catalog_load

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        generate(args.people, args.seed, data)
        catalog_load(path=data / "catalog.yaml")
        files = _source_files(data)
        small = _slice(files, 0.1, Path(tmp) / "small")

        _empty_database()
        reset_peak_rss()
        baseline = peak_rss_mib()
        small_rows, _ = _import_all(small)
        small_peak = peak_rss_mib()

        first, again, peaks = [], [], []
        rows = 0
        for _ in range(args.repeat):
            _empty_database()
            reset_peak_rss()
            rows, seconds = _import_all(files)
            peaks.append(peak_rss_mib())
            first.append(rows / seconds)
            again_rows, again_seconds = _import_all(files)
            again.append(again_rows / again_seconds)

    first_s, again_s = summarise(first), summarise(again)
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "database": "postgresql",
                "people": args.people,
                "rows": rows,
                "first_import_rows_per_s": first_s,
                "reimport_unchanged_rows_per_s": again_s,
                "reimport_speedup": round(again_s["median"] / first_s["median"], 2),
                "rss_before_import_mib": baseline,
                "peak_rss_mib": max(peaks),
                "peak_rss_mib_10pct_slice": small_peak,
                "rows_10pct_slice": small_rows,
                "machine": machine_info(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
