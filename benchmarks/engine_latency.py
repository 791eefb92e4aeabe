"""Latency of the matching engine's real-time path: ``resolve()`` on the tiny frame of one new record.

    python -m benchmarks.engine_latency [--people 21300] [--seed 7] [--samples 300] [--rounds 3]
        [--data DIR] [--engine profiles.matching]

Engine only, no database (``benchmarks.realtime`` times the whole path on PostgreSQL).  Generates the
multi-source data set (about 2.35 records a person, so 21,300 people ~ 50k records; ``--data`` keeps and
reuses the generated files), standardises it like ``benchmarks.matching_quality``, resolves it fully once
(EM fit -> the stored model, clusters -> the golden records) and then, per sample, builds the frame the
real-time caller hands the engine: the new record, every record sharing a blocking key with it (the same
keys ``profiles.selectors.resolution_scope`` looks up) and every record of the golden records those
touch.  Timed: ``resolve(frame, model=model_from_dict(stored), focus=[new id], existing_clusters=...)``.

Samples (as in ``benchmarks.realtime``): ``copy_typo`` 60% (an existing record copied under a new id with
one typo in a name), ``changed`` 20% (an existing record with one typo, resolved in place) and
``new_person`` 20% (a random person nobody holds).  Every sample is timed ``--rounds`` times (after one
untimed warm-up round); the engine's caches are emptied after the full run so it does not pre-warm them.

``--engine`` times another module with the engine's interface instead (e.g. a copy of an older version
whose imports point at itself), to compare versions under the same machine load.

Prints one JSON object: call latency median / p95 / max in ms over all timed calls, the median of the
per-round p95s, per-stage medians, frame sizes, and the figures measured before the tiny-frame
optimisation (``BEFORE``) for comparison.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.common import machine_info
from benchmarks.matching_quality import load_dataset
from benchmarks.realtime import latency, typo
from connectors.standardisation import name_key, phonetic_key

#: Measured with this script (``--data`` reusing one generated set, 300 samples x 3 rounds; medians of 3
#: runs on a 2-core machine shared with other benchmarks) on the engine before the tiny-frame optimisation.
BEFORE: dict[str, Any] = {
    "median_ms": 44.8,
    "p95_ms": 61.7,
    "stage_median_ms": {"prepare": 27.0, "candidates": 6.0, "compare": 3.0, "score": 4.0, "cluster": 3.0},
    "note": "resolve() before the tiny-frame optimisation of profiles/matching",
}
TARGET_P95_MS = 20.0
KIND_SHARES = (("copy_typo", 0.6), ("changed", 0.2), ("new_person", 0.2))
#: single-column and combined keys of ``profiles.selectors.resolution_scope``.
SCOPE_KEYS: tuple[tuple[str, ...], ...] = (
    ("email_key",),
    ("phone_key",),
    ("national_id_key",),
    ("family_phonetic", "birth_year"),
    ("postcode_key", "family_phonetic"),
    ("family_key", "given_key"),
    ("postcode_key", "street_key"),
)


@dataclass
class Sample:
    kind: str
    frame: pd.DataFrame
    focus: pd.Index
    existing: pd.Series


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float):
        return value == value and value > 0
    return value != ""


class Scope:
    """Key -> record ids lookups over the stored records, to build real-time frames like the database does."""

    def __init__(self, frame: pd.DataFrame, clusters: pd.Series) -> None:
        self.frame = frame
        self.clusters = clusters
        self.members = clusters.groupby(clusters.to_numpy()).groups
        self.index: dict[tuple[str, ...], dict[tuple, list[int]]] = {}
        ids = frame.index.tolist()
        for key in SCOPE_KEYS:
            table: dict[tuple, list[int]] = {}
            columns = [frame[c].tolist() for c in key]
            for pos, rid in enumerate(ids):
                values = tuple(col[pos] for col in columns)
                if all(_present(v) for v in values):
                    table.setdefault(values, []).append(rid)
            self.index[key] = table

    def records(self, new: pd.Series, exclude: int | None = None) -> list[int]:
        touched: set[int] = set()
        for key, table in self.index.items():
            values = tuple(new[c] for c in key)
            if all(_present(v) for v in values):
                touched.update(table.get(values, ()))
        touched.discard(exclude)
        scope = set(touched)
        for golden in {self.clusters[r] for r in touched}:
            scope.update(self.members[golden])
        scope.discard(exclude)
        return sorted(scope)


def _with_typo(row: pd.Series, rng: random.Random) -> pd.Series:
    row = row.copy()
    for attr, key, phon in (
        ("given_name", "given_key", "given_phonetic"),
        ("family_name", "family_key", "family_phonetic"),
    ):
        if isinstance(row[attr], str) and len(row[attr]) >= 3:
            row[attr] = typo(row[attr], rng)
            row[key] = name_key(row[attr])
            row[phon] = phonetic_key(row[attr])
            return row
    return row


def _new_person(columns: pd.Index, index: int, rng: random.Random) -> pd.Series:
    from benchmarks import names

    given = rng.choice((names.MALE_GIVEN + names.FEMALE_GIVEN).split())
    family = rng.choice(names.SURNAME_HEADS.split()) + rng.choice(names.SURNAME_TAILS.split())
    year, month, day = rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)
    row = pd.Series(None, index=columns, dtype=object)
    row.update(
        pd.Series(
            {
                "source": "crm",
                "given_name": given.title(),
                "family_name": family.title(),
                "given_key": name_key(given),
                "family_key": name_key(family),
                "given_phonetic": phonetic_key(given),
                "family_phonetic": phonetic_key(family),
                "email_key": f"{given}.{family}.rt{index}@example.org".lower(),
                "date_of_birth": f"{year:04d}-{month:02d}-{day:02d}",
                "birth_year": float(year),
            }
        )
    )
    return row


def build_samples(frame: pd.DataFrame, clusters: pd.Series, count: int, seed: int) -> list[Sample]:
    rng = random.Random(f"{seed}:engine-latency")
    scope = Scope(frame, clusters)
    ids = frame.index.tolist()
    next_id = int(frame.index.max()) + 1
    kinds = [kind for kind, share in KIND_SHARES for _ in range(round(share * count))][:count]
    rng.shuffle(kinds)
    samples = []
    for i, kind in enumerate(kinds):
        if kind == "new_person":
            rid, row = next_id + i, _new_person(frame.columns, i, rng)
        elif kind == "copy_typo":
            rid, row = next_id + i, _with_typo(frame.loc[rng.choice(ids)], rng)
        else:
            rid = rng.choice(ids)
            row = _with_typo(frame.loc[rid], rng)
        others = scope.records(row, exclude=rid)
        part = frame.loc[others]
        new = pd.DataFrame([row.to_numpy()], columns=frame.columns, index=pd.Index([rid], dtype="int64"))
        sub = pd.concat([part, new.astype(part.dtypes.to_dict())]).sort_index()
        sub.index.name = frame.index.name
        samples.append(Sample(kind, sub, pd.Index([rid], dtype="int64"), clusters.loc[others]))
    return samples


def clear_engine_caches(engine: str) -> None:
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith(engine):
            for value in vars(module).values():
                if isinstance(value, functools._lru_cache_wrapper):
                    value.cache_clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=21300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None, help="datagen output to reuse (generated if absent)")
    parser.add_argument(
        "--engine", default="profiles.matching", help="module with the engine's interface to time (e.g. an old copy)"
    )
    args = parser.parse_args(argv)
    matching = importlib.import_module(args.engine)

    tmp = None
    data_dir = args.data
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="mdm-latency-")
        data_dir = Path(tmp.name)
    t0 = time.perf_counter()
    if not (data_dir / "truth.csv").exists():
        from benchmarks.datagen import generate

        generate(args.people, args.seed, data_dir)
    frame, _truth, _summary = load_dataset(data_dir)
    seconds_setup = time.perf_counter() - t0

    settings = matching.MatchSettings()
    t0 = time.perf_counter()
    full = matching.resolve(frame, settings=settings)
    seconds_full = time.perf_counter() - t0
    stored = full.model.to_dict()
    samples = build_samples(frame, full.clusters, args.samples, args.seed)
    clear_engine_caches(args.engine)

    def call(sample: Sample) -> tuple[float, dict[str, Any]]:
        model = matching.model_from_dict(stored)
        start = time.perf_counter()
        result = matching.resolve(
            sample.frame, model=model, focus=sample.focus, existing_clusters=sample.existing, settings=settings
        )
        return (time.perf_counter() - start) * 1000, result.stats

    for sample in samples:  # warm-up: imports, caches of a long-running process
        call(sample)
    times: list[float] = []
    round_p95: list[float] = []
    by_kind: dict[str, list[float]] = {}
    stages: dict[str, list[float]] = {}
    gc.collect()
    for _ in range(args.rounds):
        this_round = []
        for sample in samples:
            ms, stats = call(sample)
            this_round.append(ms)
            by_kind.setdefault(sample.kind, []).append(ms)
            for key, value in stats.items():
                if key.startswith("seconds_") and key != "seconds_total":
                    stages.setdefault(key[len("seconds_") :], []).append(value * 1000)
        times += this_round
        round_p95.append(latency(this_round)["p95_ms"])
    sizes = [len(s.frame) for s in samples]
    out: dict[str, Any] = {
        "machine": machine_info(),
        "engine": args.engine,
        "records": len(frame),
        "samples": len(samples),
        "rounds": args.rounds,
        "frame_records": {
            "median": statistics.median(sizes),
            "p95": sorted(sizes)[round(0.95 * (len(sizes) - 1))],
            "max": max(sizes),
        },
        "seconds_setup": round(seconds_setup, 1),
        "seconds_full_resolve": round(seconds_full, 2),
        "resolve_ms": latency(times),
        "p95_ms_per_round": round_p95,
        "by_kind": {kind: latency(values) for kind, values in by_kind.items()},
        "stage_median_ms": {k: round(statistics.median(v), 2) for k, v in stages.items()},  # stats: 1 ms steps
        "target_p95_ms": TARGET_P95_MS,
        "before": BEFORE,
    }
    json.dump(out, sys.stdout, indent=2)
    print()
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
