"""Recorded ``resolve()`` cases for the equivalence tests of ``test_realtime_equivalence.py``.

    python -m tests.profiles.matching.realtime_cases [--engine profiles.matching]

writes ``data/realtime_cases.json.gz``: small frames drawn from a generated data set (``benchmarks.datagen``,
800 people, standardised with ``connectors.standardisation.standardise_record`` by
``benchmarks.matching_quality.load_dataset``), each with the arguments of its ``resolve()`` call and the
result the engine gave.  The file holds the inputs as well as the results, so the test does not depend on
the generator or the standardisation staying the same.

The recorded results come from the engine as it was before the tiny-frame optimisation (``--engine``
names a copy of that package); regenerate the file only when a change of results is intended. It was
last regenerated when misspelt given names started to be read as the name they slipped from
(``names.misspelt_given``), a deliberate change of results.

Cases (all seeded):

* ``realtime`` (30): what the real-time caller passes -- a new or changed record, every record sharing a
  blocking key with it and the whole golden records those touch -- with the model fitted on the full set,
  ``focus`` and ``existing_clusters`` (``benchmarks.engine_latency.build_samples``);
* ``subset`` (20): 5-40 records around a random record (its blocking neighbourhood and golden record, padded
  with random records), 1-3 of them in focus, the stored model, must-/cannot-links on a few;
* ``no_focus`` (5): subsets scored entirely with the stored model (``focus=None``);
* ``fit`` (2): 150 and 300 records resolved like a full run (EM fits its own model, term frequencies included).
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import math
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FIXTURE = Path(__file__).parent / "data" / "realtime_cases.json.gz"
PEOPLE = 800
SEED = 11


def load_cases(path: Path = FIXTURE) -> dict[str, Any]:
    return json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))


# ------------------------------------------------------------------------------------------ encoding


def encode_frame(frame: pd.DataFrame) -> dict[str, Any]:
    columns = {}
    for col in frame.columns:
        values = frame[col].tolist()
        columns[col] = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
    return {"index": frame.index.tolist(), "dtypes": {c: str(t) for c, t in frame.dtypes.items()}, "columns": columns}


def decode_frame(data: dict[str, Any]) -> pd.DataFrame:
    columns = {}
    for col, values in data["columns"].items():
        dtype = data["dtypes"][col]
        if dtype == "object":
            columns[col] = pd.Series(values, dtype=object)
        else:
            columns[col] = pd.Series([np.nan if v is None else v for v in values], dtype=dtype)
    frame = pd.DataFrame(columns)
    frame.index = pd.Index(data["index"], dtype="int64", name="record_id")
    return frame


def encode_result(result: Any) -> dict[str, Any]:
    """Everything a caller reads from a ResolveResult (stats without timings)."""
    pairs = result.pairs
    levels = result.levels
    return {
        "pairs_index": [pairs.index.get_level_values(0).tolist(), pairs.index.get_level_values(1).tolist()],
        "pairs": {col: pairs[col].tolist() for col in pairs.columns},
        "pairs_dtypes": {col: str(t) for col, t in pairs.dtypes.items()},
        "levels": {col: levels[col].tolist() for col in levels.columns},
        "levels_dtypes": {col: str(t) for col, t in levels.dtypes.items()},
        "clusters": [result.clusters.index.tolist(), result.clusters.tolist()],
        "stats": {k: v for k, v in result.stats.items() if not k.startswith("seconds_")},
    }


def resolve_case(engine: Any, case: dict[str, Any], model: dict[str, Any]) -> Any:
    """Run ``engine.resolve`` with a recorded case's arguments."""
    args = case["args"]
    existing = None
    if args["existing_clusters"] is not None:
        ids, goldens = args["existing_clusters"]
        existing = pd.Series(goldens, index=pd.Index(ids, dtype="int64"), dtype="float64")
    return engine.resolve(
        decode_frame(case["frame"]),
        settings=engine.MatchSettings(),
        model=engine.model_from_dict(model) if args["model"] else None,
        focus=None if args["focus"] is None else pd.Index(args["focus"], dtype="int64"),
        existing_clusters=existing,
        must_link=[tuple(p) for p in args["must_link"]],
        cannot_link=[tuple(p) for p in args["cannot_link"]],
    )


# ------------------------------------------------------------------------------------------ building


def _neighbourhood(frame: pd.DataFrame, clusters: pd.Series, rid: int, rng: random.Random, size: int) -> list[int]:
    """A record, records sharing a key with it, its golden record, then random records up to ``size``."""
    row = frame.loc[rid]
    chosen = {rid}
    for col in ("email_key", "phone_key", "family_key", "postcode_key", "family_phonetic"):
        value = row[col]
        if isinstance(value, str):
            chosen.update(frame.index[frame[col] == value][:10].tolist())
    chosen.update(clusters.index[clusters == clusters[rid]].tolist())
    ids = sorted(chosen)
    rng.shuffle(ids)
    chosen = set(ids[:size]) | {rid}
    pool = frame.index.tolist()
    while len(chosen) < size:
        chosen.add(rng.choice(pool))
    return sorted(chosen)


def build_cases(engine: Any) -> dict[str, Any]:
    from benchmarks.datagen import generate
    from benchmarks.engine_latency import build_samples
    from benchmarks.matching_quality import load_dataset

    with tempfile.TemporaryDirectory(prefix="mdm-realtime-cases-") as tmp:
        generate(PEOPLE, SEED, Path(tmp))
        frame, _truth, _summary = load_dataset(Path(tmp))
    full = engine.resolve(frame, settings=engine.MatchSettings())
    model = full.model.to_dict()
    clusters = full.clusters.astype("float64")
    rng = random.Random(f"{SEED}:realtime-cases")
    cases: list[dict[str, Any]] = []

    def add(kind: str, sub: pd.DataFrame, **args: Any) -> None:
        base = {"model": True, "focus": None, "existing_clusters": None, "must_link": [], "cannot_link": []}
        base.update(args)
        cases.append({"kind": kind, "frame": encode_frame(sub), "args": base})

    for sample in build_samples(frame, full.clusters, 30, SEED):
        existing = sample.existing.astype("float64")
        add(
            "realtime",
            sample.frame,
            focus=sample.focus.tolist(),
            existing_clusters=[existing.index.tolist(), existing.tolist()],
        )
    ids = frame.index.tolist()
    for i in range(20):
        sub_ids = _neighbourhood(frame, full.clusters, rng.choice(ids), rng, rng.randint(5, 40))
        focus = sorted(rng.sample(sub_ids, rng.randint(1, min(3, len(sub_ids)))))
        rest = [r for r in sub_ids if r not in focus]
        links: dict[str, list] = {"must_link": [], "cannot_link": []}
        if i % 5 == 0 and len(sub_ids) >= 4:
            links["must_link"] = [sorted(rng.sample(sub_ids, 2))]
            links["cannot_link"] = [sorted(rng.sample(sub_ids, 2))]
        add(
            "subset",
            frame.loc[sub_ids],
            focus=focus,
            existing_clusters=[rest, clusters.loc[rest].tolist()],
            **links,
        )
    for _ in range(5):
        sub_ids = _neighbourhood(frame, full.clusters, rng.choice(ids), rng, rng.randint(5, 40))
        add("no_focus", frame.loc[sub_ids])
    for size in (150, 300):
        add("fit", frame.loc[sorted(rng.sample(ids, size))], model=False)
    for case in cases:
        result = resolve_case(engine, case, model)
        case["expected"] = encode_result(result)
        if not case["args"]["model"]:  # the model EM fitted (the others are scored with the stored one)
            case["expected"]["model"] = result.model.to_dict()
    return {"people": PEOPLE, "seed": SEED, "engine": engine.__name__, "model": model, "cases": cases}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", default="profiles.matching", help="module with resolve() to record")
    parser.add_argument("--out", type=Path, default=FIXTURE)
    args = parser.parse_args(argv)
    engine = importlib.import_module(args.engine)
    data = build_cases(engine)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, separators=(",", ":")) + "\n"
    args.out.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    sys.stdout.write(f"{len(data['cases'])} cases -> {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
