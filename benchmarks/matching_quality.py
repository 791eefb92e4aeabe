"""Identity-resolution quality on generated multi-source customer data (figures, not a timed test).

    python -m benchmarks.matching_quality --people 5000 [--seed S] [--data DIR] [--no-ecm]

Generates data with ``benchmarks.datagen`` (unless ``--data`` points at an existing output), standardises
every source row with ``connectors.standardisation.standardise_record`` using the catalog mapping, runs
``profiles.matching.resolve`` and prints one JSON object: our figures beside the exact-match baseline,
a stock recordlinkage ECM pipeline and the generator's linkable ceiling.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from connectors.standardisation import standardise_record
from profiles.matching import MatchSettings, prepare, resolve
from profiles.matching.evaluation import (
    exact_match_clusters,
    over_merge_rate,
    pair_completeness,
    pairwise_scores,
    split_rate,
    unified_rate,
)

KEY_COLUMNS = (
    "given_key",
    "family_key",
    "given_phonetic",
    "family_phonetic",
    "email_key",
    "phone_key",
    "birth_year",
    "postcode_key",
    "street_key",
    "company_key",
    "national_id_key",
)


def _rows(path: Path):
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield {k: (None if v is None else str(v)) for k, v in json.loads(line).items()}
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)


def load_dataset(data_dir: Path) -> tuple[pd.DataFrame, pd.Series, dict[str, Any]]:
    """Standardised frame (engine contract), truth (record id -> entity id) and summary.json."""
    catalog = yaml.safe_load((data_dir / "catalog.yaml").read_text(encoding="utf-8"))
    default_country = catalog.get("default_country")
    truth_rows = pd.read_csv(data_dir / "truth.csv", dtype=str)
    truth_map = dict(
        zip(zip(truth_rows["source"], truth_rows["source_id"], strict=True), truth_rows["entity_id"], strict=True)
    )
    records: list[dict[str, Any]] = []
    entities: list[str] = []
    for source in catalog["sources"]:
        code = source["code"]
        files = sorted(data_dir.glob(f"{code}.*"))
        if not files:
            continue
        mapping = source["mapping"]
        columns = {attr: (spec["field"] if isinstance(spec, dict) else spec) for attr, spec in mapping.items()}
        formats = {
            attr: spec["format"] for attr, spec in mapping.items() if isinstance(spec, dict) and "format" in spec
        }
        region = source.get("default_country") or default_country
        id_field = source["id_field"]
        for row in _rows(files[0]):
            values = {attr: row.get(col) for attr, col in columns.items()}
            std = standardise_record(values, region=region, date_formats=formats)
            attrs, keys = std.attributes, std.match_keys
            dob = attrs.get("date_of_birth")
            rec = {
                "source": code,
                "given_name": attrs.get("given_name"),
                "family_name": attrs.get("family_name"),
                "date_of_birth": dob.isoformat() if dob else None,
                "city": attrs.get("city"),
            }
            rec.update({k: keys.get(k) for k in KEY_COLUMNS})
            records.append(rec)
            entities.append(truth_map.get((code, str(row[id_field]))))
    frame = pd.DataFrame.from_records(records)
    frame.index = pd.RangeIndex(1, len(frame) + 1).astype("int64")
    frame.index.name = "record_id"
    truth = pd.Series(entities, index=frame.index, name="entity")
    summary = json.loads((data_dir / "summary.json").read_text(encoding="utf-8"))
    return frame, truth, summary


def figures(clusters: pd.Series, truth: pd.Series) -> dict[str, Any]:
    scores = pairwise_scores(clusters, truth)
    return {
        "unified_rate": round(unified_rate(clusters, truth), 4),
        "unified_rate_all_people": round(unified_rate(clusters, truth, min_records=1), 4),
        "precision": round(scores["precision"], 4),
        "recall": round(scores["recall"], 4),
        "f1": round(scores["f1"], 4),
        "over_merge_rate": round(over_merge_rate(clusters, truth), 4),
        "split_rate": round(split_rate(clusters, truth), 4),
        "golden_records": int(clusters.nunique()),
    }


def ecm_baseline(frame: pd.DataFrame) -> pd.Series:
    """Stock recordlinkage: Block(email) | Block(given + family phonetic), exact binary features,
    ECMClassifier, connected components of the predicted matches."""
    import recordlinkage
    from recordlinkage.index import Block

    df = frame.copy()
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].replace("", None)
    indexer = recordlinkage.Index()
    indexer.add(Block("email_key"))
    indexer.add(Block(["given_phonetic", "family_phonetic"]))
    pairs = indexer.index(df)
    comp = recordlinkage.Compare()
    for col in (
        "given_key",
        "family_key",
        "email_key",
        "phone_key",
        "date_of_birth",
        "postcode_key",
        "street_key",
        "national_id_key",
    ):
        comp.exact(col, col, label=col, missing_value=0)
    features = comp.compute(pairs, df)
    ecm = recordlinkage.ECMClassifier(binarize=None)
    matches = ecm.fit_predict(features)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pos = df.index.get_indexer
    n = len(df)
    a, b = pos(matches.get_level_values(0)), pos(matches.get_level_values(1))
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=df.index, name="cluster"), len(pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, default=None, help="existing datagen output (skip generation)")
    parser.add_argument("--no-ecm", action="store_true", help="skip the stock recordlinkage ECM baseline")
    parser.add_argument("--auto-link", type=float, default=None)
    args = parser.parse_args(argv)

    tmp = None
    data_dir = args.data
    t0 = time.perf_counter()
    if data_dir is None or not (data_dir / "truth.csv").exists():
        from benchmarks.datagen import generate

        if data_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="mdm-quality-")
            data_dir = Path(tmp.name)
        generate(args.people, args.seed, data_dir)
    seconds_generate = time.perf_counter() - t0
    t0 = time.perf_counter()
    frame, truth, summary = load_dataset(data_dir)
    seconds_standardise = time.perf_counter() - t0

    settings = MatchSettings() if args.auto_link is None else MatchSettings(auto_link_threshold=args.auto_link)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = resolve(frame, settings=settings)
    seconds_resolve = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    ours = figures(result.clusters, truth)
    ours["pair_completeness"] = round(pair_completeness(result.pairs.index, truth), 4)
    ours["seconds"] = round(seconds_resolve, 2)
    ours["stats"] = result.stats
    out: dict[str, Any] = {
        "people": summary.get("people"),
        "seed": summary.get("seed"),
        "records": len(frame),
        "linkable_ceiling": summary.get("linkable_ceiling"),
        "ours": ours,
    }
    t0 = time.perf_counter()
    exact = exact_match_clusters(prepare(frame))
    out["exact_match"] = {**figures(exact, truth), "seconds": round(time.perf_counter() - t0, 2)}
    if not args.no_ecm:
        t0 = time.perf_counter()
        ecm, ecm_pairs = ecm_baseline(frame)
        out["stock_ecm"] = {
            **figures(ecm, truth),
            "candidate_pairs": ecm_pairs,
            "seconds": round(time.perf_counter() - t0, 2),
        }
    out["seconds_generate"] = round(seconds_generate, 2)
    out["seconds_standardise"] = round(seconds_standardise, 2)
    out["peak_rss_mb_before_resolve"] = round(rss_before / 1024)
    out["peak_rss_mb"] = round(rss_after / 1024)
    json.dump(out, sys.stdout, indent=2)
    print()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
