"""Stable golden ids: clusters keep ids, merges retire the smaller, splits mint new ids."""

import numpy as np
import pandas as pd

from profiles.services.golden_ids import plan_golden_ids


def plan(clusters: dict[int, int], previous: dict[int, float]):
    return plan_golden_ids(pd.Series(clusters), pd.Series(previous, dtype=float))


def test_unchanged_clusters_keep_their_ids():
    result = plan({1: 10, 2: 10, 3: 20}, {1: 100, 2: 100, 3: 200})
    assert result.keeps == {10: 100, 20: 200}
    assert result.new_clusters == []
    assert result.merges == {}
    assert result.splits == {}


def test_new_records_get_new_ids_and_join_existing_ones():
    result = plan({1: 10, 2: 10, 3: 30}, {1: 100, 2: np.nan, 3: np.nan})
    assert result.keeps == {10: 100}
    assert result.new_clusters == [30]


def test_merge_keeps_the_larger_golden_record_and_retires_the_other():
    result = plan({1: 10, 2: 10, 3: 10}, {1: 100, 2: 100, 3: 200})
    assert result.keeps == {10: 100}
    assert result.merges == {200: 10}


def test_merge_of_equal_sizes_keeps_the_older_id():
    result = plan({1: 10, 2: 10}, {1: 300, 2: 200})
    assert result.keeps == {10: 200}
    assert result.merges == {300: 10}


def test_split_keeps_the_id_on_the_larger_part_and_mints_one_for_the_rest():
    result = plan({1: 10, 2: 10, 3: 20}, {1: 100, 2: 100, 3: 100})
    assert result.keeps == {10: 100}
    assert result.new_clusters == [20]
    assert result.splits == {100: [20]}
    assert result.merges == {}
