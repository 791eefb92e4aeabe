"""``resolve()`` on tiny frames gives the same results after the real-time optimisation as before it.

Two complementary checks:

* **Recorded results** (``data/realtime_cases.json.gz``, written by ``realtime_cases.py``): 57 calls --
  30 real-time frames (a new or changed record, its blocking neighbourhood and the golden records it
  touches, with the stored model, ``focus`` and ``existing_clusters``), 20 subsets of 5-40 records with
  1-3 focus records (a few with must-/cannot-links), 5 subsets scored without ``focus`` and 2 of 150 and
  300 records resolved like a full run (EM, term frequencies) -- drawn from an 800-person generated data
  set and recorded with the engine *as it was before* the optimisation (re-recorded since only for
  deliberate changes of results, see ``realtime_cases.py``).  The file holds the inputs too,
  so the check stays exact even if the data generator or the standardisation change.  Every pair, id,
  probability, weight (compared as exact floats), decision, refusal, level, cluster label, stat and
  fitted model must be identical.
* **Loop vs vectorised paths** (live, on a freshly generated data set): below ``LOOP_PAIRS`` pairs the
  engine evaluates pair-wise work in plain Python loops, above it with the vectorised (factorize /
  index look-up) code that large runs use.  On 50 random subsets of 5-40 records, and on the whole set,
  forcing either path must give identical results.  Plus: ``prepare`` on a tiny frame gives the same
  per-record columns as on the full frame (only the household flags depend on which records are present).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from profiles import matching
from profiles.matching import clustering, comparison
from tests.profiles.matching.realtime_cases import _neighbourhood, encode_result, load_cases, resolve_case

RECORDED = load_cases()
GROUP_COLUMNS = ("email_shared", "phone_shared")


def _close(got: Any, expected: Any) -> bool:
    """Equal, except that floats may differ in the last bits between numpy releases."""
    if isinstance(got, float) and isinstance(expected, float):
        return got == pytest.approx(expected, rel=1e-12, abs=1e-15, nan_ok=True)
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_close(got[k], expected[k]) for k in got)
    if isinstance(got, list | tuple) and isinstance(expected, list | tuple):
        return len(got) == len(expected) and all(_close(a, b) for a, b in zip(got, expected, strict=True))
    return got == expected


@pytest.mark.parametrize("case", RECORDED["cases"], ids=lambda c: f"{c['kind']}-{len(c['frame']['index'])}")
def test_resolve_reproduces_the_recorded_results(case: dict[str, Any]) -> None:
    result = resolve_case(matching, case, RECORDED["model"])
    got = encode_result(result)
    expected = case["expected"]
    assert got["pairs_index"] == expected["pairs_index"]
    assert got["pairs_dtypes"] == expected["pairs_dtypes"]
    for col, values in expected["pairs"].items():
        # Floats may differ in the last bit between numpy releases; anything beyond that is a real change.
        assert _close(got["pairs"][col], values), col
    assert list(got["pairs"]) == list(expected["pairs"])
    assert got["levels"] == expected["levels"]
    assert got["levels_dtypes"] == expected["levels_dtypes"]
    assert got["clusters"] == expected["clusters"]
    assert got["stats"] == expected["stats"]
    if "model" in expected:
        assert _close(result.model.to_dict(), expected["model"])


# ------------------------------------------------------------------------------ live, generated data


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, matching.ResolveResult]:
    from benchmarks.datagen import generate
    from benchmarks.matching_quality import load_dataset

    out = tmp_path_factory.mktemp("generated")
    generate(800, 23, Path(out))
    frame, _truth, _summary = load_dataset(Path(out))
    return frame, matching.resolve(frame)


def _force(monkeypatch: pytest.MonkeyPatch, loop_pairs: int) -> None:
    monkeypatch.setattr(comparison, "LOOP_PAIRS", loop_pairs)
    monkeypatch.setattr(clustering, "LOOP_PAIRS", loop_pairs)


def _assert_same(a: matching.ResolveResult, b: matching.ResolveResult) -> None:
    pd.testing.assert_frame_equal(a.pairs, b.pairs, check_exact=True)
    pd.testing.assert_frame_equal(a.levels, b.levels, check_exact=True)
    pd.testing.assert_series_equal(a.clusters, b.clusters, check_exact=True)
    assert a.model.to_dict() == b.model.to_dict()


def _subsets(frame: pd.DataFrame, clusters: pd.Series, count: int) -> list[dict[str, Any]]:
    rng = random.Random("loop-vs-vectorised")
    ids = frame.index.tolist()
    out = []
    for _ in range(count):
        sub_ids = _neighbourhood(frame, clusters, rng.choice(ids), rng, rng.randint(5, 40))
        focus = sorted(rng.sample(sub_ids, rng.randint(1, 3)))
        rest = [r for r in sub_ids if r not in focus]
        out.append({"frame": frame.loc[sub_ids], "focus": pd.Index(focus), "existing": clusters.loc[rest]})
    return out


def test_loop_and_vectorised_paths_agree_on_small_frames(
    generated: tuple[pd.DataFrame, matching.ResolveResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, full = generated
    stored = full.model.to_dict()
    subsets = _subsets(frame, full.clusters, 50)
    compared = 0
    for sub in subsets:
        results = []
        for loop_pairs in (comparison.LOOP_PAIRS, -1):
            _force(monkeypatch, loop_pairs)
            results.append(
                matching.resolve(
                    sub["frame"],
                    model=matching.model_from_dict(stored),
                    focus=sub["focus"],
                    existing_clusters=sub["existing"],
                )
            )
            results.append(matching.resolve(sub["frame"], model=matching.model_from_dict(stored)))
        monkeypatch.undo()
        _assert_same(results[0], results[2])
        _assert_same(results[1], results[3])
        compared += len(results[1].pairs)
    assert compared > 500  # the subsets do hold pairs, links and non-links
    assert any((r["frame"].shape[0] >= 30) for r in subsets)


def test_loop_and_vectorised_paths_agree_on_a_full_run(
    generated: tuple[pd.DataFrame, matching.ResolveResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, full = generated  # full: the default mix (vectorised here: thousands of pairs)
    _force(monkeypatch, 10**9)  # every pair through the loops
    looped = matching.resolve(frame)
    _assert_same(full, looped)
    assert (full.pairs["decision"] == "link").sum() > 100


def test_prepare_on_a_tiny_frame_matches_the_full_frame(generated: tuple[pd.DataFrame, matching.ResolveResult]) -> None:
    frame, full = generated
    whole = matching.prepare(frame)
    for sub in _subsets(frame, full.clusters, 50):
        ids = sub["frame"].index
        small = matching.prepare(sub["frame"])
        pd.testing.assert_frame_equal(
            small.drop(columns=list(GROUP_COLUMNS)),
            whole.loc[ids].drop(columns=list(GROUP_COLUMNS)),
            check_exact=True,
        )
        for col in GROUP_COLUMNS:  # shared within the subset -> shared within the whole set
            assert not (small[col] & ~whole.loc[ids, col]).any()
