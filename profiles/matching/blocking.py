"""Candidate generation: a union of blocking passes and sorted-neighbourhood passes.

The passes are the ones recordlinkage's ``Block`` and ``SortedNeighbourhood`` indexers implement, done
here directly in numpy on integer codes because we need two things those indexers do not offer: blocks
larger than ``max_block_size`` are skipped per key (a value shared by hundreds of records does not
identify anybody, and skipping keeps candidate counts linear in the number of records), and a
``focus`` restriction for incremental runs.  Every pair is returned once as (lower id, higher id).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from profiles.matching.settings import MatchSettings

#: Blocking passes: records agreeing on every column of a pass (all present) are candidates.
BLOCKING_KEYS: tuple[tuple[str, ...], ...] = (
    ("email_key",),
    ("phone_key",),
    ("national_id_key",),
    ("email_local",),  # same mailbox name at another provider / a changed domain
    ("fp", "dob_y"),  # family phonetic + birth year
    ("gi", "fp", "postcode_key"),  # given initial + family phonetic + postcode
    ("gc", "fk"),  # canonical given + family name
    ("gc", "date_of_birth"),  # married-name changes: same given name and DOB
    ("street_key", "postcode_key"),  # same address (households are then kept apart by the household rule)
)
#: Sorted-neighbourhood passes (sorting key columns, concatenated): catch typos the exact keys miss.
NEIGHBOURHOOD_KEYS: tuple[tuple[str, ...], ...] = (
    ("fk", "gk"),
    ("gk", "fk"),
    ("national_id_key",),
)


def _key_codes(prepared: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Integer code per record for the combined key; -1 where any part is missing."""
    valid = np.ones(len(prepared), dtype=bool)
    combined: pd.Series | None = None
    for col in columns:
        values = prepared[col]
        if values.dtype.kind in "iuf":
            valid &= values.to_numpy() > 0
            values = values.astype("int64").astype(str)
        else:
            valid &= values.notna().to_numpy()
            values = values.astype(str)
        combined = values if combined is None else combined + "\x1f" + values
    assert combined is not None
    codes, _ = pd.factorize(combined)
    codes = codes.astype(np.int64)
    codes[~valid] = -1
    if columns == ("email_local",):  # a bare "j" or "info" is not a mailbox name worth blocking on
        short = prepared["email_local"].map(lambda v: len(v) < 5 if isinstance(v, str) else True).to_numpy(bool)
        codes[short] = -1
    return codes


def block_pairs(codes: np.ndarray, max_block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """All within-block position pairs (i < j) for blocks of size 2..max_block_size."""
    pos = np.flatnonzero(codes >= 0)
    if len(pos) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    counts = np.bincount(codes[pos])
    keep = pos[(counts[codes[pos]] >= 2) & (counts[codes[pos]] <= max_block_size)]
    if len(keep) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = keep[np.argsort(codes[keep], kind="stable")]
    sorted_codes = codes[order]
    size = counts[sorted_codes]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    start_of = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    rank = np.arange(len(order)) - start_of
    left, right = [], []
    idx = np.arange(len(order))
    for k in range(1, int(size.max())):
        ok = idx[rank + k < size]
        if not len(ok):
            break
        left.append(order[ok])
        right.append(order[ok + k])
    a, b = np.concatenate(left), np.concatenate(right)
    return np.minimum(a, b), np.maximum(a, b)


def neighbourhood_pairs(prepared: pd.DataFrame, columns: Sequence[str], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted-neighbourhood pairs: records within ``window`` positions of each other in key order."""
    key = None
    valid = np.ones(len(prepared), dtype=bool)
    for col in columns:
        values = prepared[col]
        valid &= values.notna().to_numpy()
        values = values.fillna("").astype(str)
        key = values if key is None else key + " " + values
    pos = np.flatnonzero(valid)
    if len(pos) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    keys = key.to_numpy()[pos]
    order = pos[np.argsort(keys, kind="stable")]
    left, right = [], []
    for k in range(1, window):
        left.append(order[:-k])
        right.append(order[k:])
    a, b = np.concatenate(left), np.concatenate(right)
    return np.minimum(a, b), np.maximum(a, b)


def candidate_pairs(
    prepared: pd.DataFrame,
    *,
    focus: pd.Index | None = None,
    settings: MatchSettings | None = None,
) -> pd.MultiIndex:
    """Union of all blocking and neighbourhood passes as a sorted MultiIndex of (lower id, higher id).

    With ``focus``, only pairs with at least one member in ``focus`` are returned (incremental runs:
    new/changed records against everything passed in).
    """
    settings = settings or MatchSettings()
    n = len(prepared)
    chunks: list[np.ndarray] = []
    for columns in BLOCKING_KEYS:
        if not all(c in prepared for c in columns):
            continue
        a, b = block_pairs(_key_codes(prepared, columns), settings.max_block_size)
        chunks.append(a * n + b)
    for columns in NEIGHBOURHOOD_KEYS:
        if not all(c in prepared for c in columns):
            continue
        a, b = neighbourhood_pairs(prepared, columns, settings.neighbourhood_window)
        chunks.append(a * n + b)
    keys = np.unique(np.concatenate(chunks)) if chunks else np.empty(0, np.int64)
    a, b = keys // max(n, 1), keys % max(n, 1)
    a, b = a[a != b], b[a != b]
    ids = prepared.index.to_numpy(np.int64)
    if focus is not None:
        in_focus = np.asarray(prepared.index.isin(focus))
        keep = in_focus[a] | in_focus[b]
        a, b = a[keep], b[keep]
    ia, ib = ids[a], ids[b]
    lo, hi = np.minimum(ia, ib), np.maximum(ia, ib)
    order = np.lexsort((hi, lo))
    return pd.MultiIndex.from_arrays([lo[order], hi[order]], names=["id_a", "id_b"])
