"""Evaluation helpers on known cases."""

from __future__ import annotations

import pandas as pd
import pytest

from profiles.matching import prepare
from profiles.matching.evaluation import (
    exact_match_clusters,
    over_merge_rate,
    pair_completeness,
    pairwise_scores,
    split_rate,
    unified_rate,
)
from tests.profiles.matching.helpers import frame, person

IDX = pd.Index([1, 2, 3, 4, 5, 6], dtype="int64")
TRUTH = pd.Series(["a", "a", "a", "b", "b", "c"], index=IDX)


def test_perfect_clustering() -> None:
    clusters = pd.Series([1, 1, 1, 4, 4, 6], index=IDX)
    s = pairwise_scores(clusters, TRUTH)
    assert s["precision"] == s["recall"] == s["f1"] == 1.0
    assert unified_rate(clusters, TRUTH) == 1.0
    assert over_merge_rate(clusters, TRUTH) == 0.0
    assert split_rate(clusters, TRUTH) == 0.0


def test_split_and_merge() -> None:
    # a split into {1,2} and {3}; b merged with c
    clusters = pd.Series([1, 1, 3, 4, 4, 4], index=IDX)
    s = pairwise_scores(clusters, TRUTH)
    # predicted pairs: (1,2) + 3 pairs in {4,5,6} = 4; correct: (1,2),(4,5) = 2; true pairs: 3 + 1 = 4
    assert s["precision"] == pytest.approx(0.5)
    assert s["recall"] == pytest.approx(0.5)
    assert unified_rate(clusters, TRUTH) == 0.0  # a is split, b shares its cluster with c
    assert unified_rate(clusters, TRUTH, min_records=1) == 0.0
    assert over_merge_rate(clusters, TRUTH) == pytest.approx(1 / 3)
    assert split_rate(clusters, TRUTH) == pytest.approx(1 / 2)


def test_pair_completeness() -> None:
    pairs = pd.MultiIndex.from_tuples([(1, 2), (2, 3), (4, 6)])
    assert pair_completeness(pairs, TRUTH) == pytest.approx(2 / 4)


def test_exact_match_baseline() -> None:
    df = frame(
        person("Ann", "Lee", email="ann@x.com"),
        person("Annie", "Lee", email="ann@x.com"),
        person("Ann", "Lee", dob="1990-01-01"),
        person("Ann", "Lee", dob="1990-01-01", phone="+61400000000"),
        person("Bo", "Lee", phone="+61400000000"),
    )
    labels = exact_match_clusters(prepare(df))
    assert labels[1] == labels[2]
    assert labels[3] == labels[4] == labels[5]  # same name+DOB, then same phone + family
    assert labels[1] != labels[3]
