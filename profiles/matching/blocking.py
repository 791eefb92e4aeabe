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

from profiles.matching.prepare import Prepared, as_prepared
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


def _key_strings(
    prepared: Prepared,
    columns: Sequence[str],
    sep: str,
    *,
    numeric_ints: bool,
    cache: dict[tuple[str, bool], list] | None = None,
) -> list[str | None]:
    """Per record the key columns' texts joined by ``sep``; None where any part is missing.

    With ``numeric_ints``, numeric columns count as missing unless > 0 and are written as integers.  Plain
    Python over lists: faster than pandas' string concatenation on large frames, and without its fixed
    per-call cost on the few-record frames of real-time resolution.  ``cache`` keeps per-column texts
    between passes over the same frame.
    """
    parts: list[list[str | None]] = []
    for col in columns:
        values = prepared[col]
        numeric = numeric_ints and values.dtype.kind in "iuf"
        texts = cache.get((col, numeric)) if cache is not None else None
        if texts is None:
            if numeric:
                ints = values.astype("int64").tolist()
                texts = [str(v) if ok else None for v, ok in zip(ints, (values > 0).tolist(), strict=True)]
            else:
                texts = [_text(v) for v in values.tolist()]
            if cache is not None:
                cache[(col, numeric)] = texts
        parts.append(texts)
    if len(parts) == 1:
        return parts[0]
    return [None if None in texts else sep.join(texts) for texts in zip(*parts, strict=True)]


def _text(value: object) -> str | None:
    """``str(value)`` for a present value, None for a missing one (None, NaN, NA)."""
    if isinstance(value, str):
        return value
    return None if value is None or pd.isna(value) else str(value)


def _key_codes(prepared: Prepared, columns: Sequence[str], cache: dict | None = None) -> np.ndarray:
    """Integer code per record for the combined key; -1 where any part is missing."""
    codes, _shared = _key_codes_shared(prepared, columns, cache)
    return codes


def _key_codes_shared(prepared: Prepared, columns: Sequence[str], cache: dict | None) -> tuple[np.ndarray, bool]:
    """:func:`_key_codes`, and whether any key value is held by more than one record."""
    keys = _key_strings(prepared, columns, "\x1f", numeric_ints=True, cache=cache)
    if columns == ("email_local",):  # a bare "j" or "info" is not a mailbox name worth blocking on
        keys = [k if k is not None and len(k) >= 5 else None for k in keys]
    table: dict[str, int] = {}
    codes = [-1 if k is None else table.setdefault(k, len(table)) for k in keys]
    return np.array(codes, dtype=np.int64), len(table) < len(codes) - codes.count(-1)


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


def neighbourhood_pairs(
    prepared: pd.DataFrame | Prepared, columns: Sequence[str], window: int, cache: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted-neighbourhood pairs: records within ``window`` positions of each other in key order."""
    keys = _key_strings(as_prepared(prepared), columns, " ", numeric_ints=False, cache=cache)
    pos = [i for i, k in enumerate(keys) if k is not None]
    if len(pos) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.array(sorted(pos, key=keys.__getitem__), dtype=np.int64)  # stable, like argsort(kind="stable")
    left, right = [], []
    for k in range(1, window):
        left.append(order[:-k])
        right.append(order[k:])
    a, b = np.concatenate(left), np.concatenate(right)
    return np.minimum(a, b), np.maximum(a, b)


def candidate_pairs(
    prepared: pd.DataFrame | Prepared,
    *,
    focus: pd.Index | None = None,
    settings: MatchSettings | None = None,
) -> pd.MultiIndex:
    """Union of all blocking and neighbourhood passes as a sorted MultiIndex of (lower id, higher id).

    With ``focus``, only pairs with at least one member in ``focus`` are returned (incremental runs:
    new/changed records against everything passed in).
    """
    settings = settings or MatchSettings()
    prepared = as_prepared(prepared)
    n = len(prepared)
    chunks: list[np.ndarray] = []
    cache: dict[tuple[str, bool], list] = {}
    for columns in BLOCKING_KEYS:
        if not all(c in prepared for c in columns):
            continue
        codes, shared = _key_codes_shared(prepared, columns, cache)
        if not shared:  # every key value is one record's: no block of two or more
            continue
        a, b = block_pairs(codes, settings.max_block_size)
        chunks.append(a * n + b)
    for columns in NEIGHBOURHOOD_KEYS:
        if not all(c in prepared for c in columns):
            continue
        a, b = neighbourhood_pairs(prepared, columns, settings.neighbourhood_window, cache)
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
    return pair_index(lo[order], hi[order])


def pair_index(id_a: np.ndarray, id_b: np.ndarray) -> pd.MultiIndex:
    """``MultiIndex.from_arrays([id_a, id_b], names=["id_a", "id_b"])``, built from sorted levels and codes
    directly (the same index, at half the fixed cost)."""
    level_a, codes_a = np.unique(id_a, return_inverse=True)
    level_b, codes_b = np.unique(id_b, return_inverse=True)
    return pd.MultiIndex(
        levels=[level_a, level_b], codes=[codes_a, codes_b], names=["id_a", "id_b"], verify_integrity=False
    )
