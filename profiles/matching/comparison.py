"""Field comparisons binned into small integer levels, and the household/twin rule.

Level 0 always means "missing on either side" and carries no evidence (weight 0): a record that does not
know a phone number does not disagree about it.  Higher levels mean stronger agreement; level 1 is
"present on both sides and different".  String comparisons are evaluated once per distinct value pair
(names and e-mails repeat a lot) and mapped back with numpy, so cost grows with distinct pairs.

Levels (field: level meanings)

* ``given``: 1 different, 2 initial-compatible (J / John), 3 typo-close (Jaro-Winkler / one edit),
  4 nickname or short form (Bob / Robert, Sam / Samuel), 5 exact.
* ``family``: 1 different, 2 initial-compatible, 3 phonetic or typo-close or double-barrelled part, 4 exact.
* ``dob``: 1 different (other year and more than one part differs), 2 same year but other day and
  month (or only a birth year known on one side and it agrees), 3 one of day/month/year differs (a typo),
  4 day and month swapped, 5 exact.  Only level 1 is "clearly different" for the household rule:
  siblings and parent/child are born in different years, twins on the same day.
* ``email``: 1 different, 2 same mailbox name at another domain or a one-character typo,
  3 same address but the address is shared by people with different given names, 4 same personal address.
* ``phone``: 1 different, 2 one digit wrong / two digits swapped, 3 same number shared by people with
  different given names (a household landline), 4 same number.
* ``national_id``: 1 different, 2 one edit apart, 3 exact.
* ``address``: 1 different, 2 same postcode (or same city when a postcode is missing) but other street,
  3 same house number and similar street name (unit dropped, abbreviation, typo), 4 same street key.
* ``company``: 1 different, 2 same.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import jellyfish
import numpy as np
import pandas as pd

from profiles.matching.names import (
    FAMILY_DIFFERENT,
    FAMILY_EXACT,
    GIVEN_DIFFERENT,
    GIVEN_EXACT,
    family_level,
    given_level,
)
from profiles.matching.prepare import Prepared, as_prepared

#: comparison fields and their number of levels (including level 0 = missing).
FIELDS: dict[str, int] = {
    "given": 6,
    "family": 5,
    "dob": 6,
    "email": 5,
    "phone": 5,
    "national_id": 4,
    "address": 5,
    "company": 3,
}


#: up to this many pairs, pair-wise work runs as plain Python loops: pandas' and numpy's fixed cost per
#: call (factorize, hash tables, index look-ups) dominates on the few pairs of real-time resolution.
LOOP_PAIRS = 512


def _positions(prepared: pd.DataFrame | Prepared, pairs: pd.MultiIndex) -> tuple[np.ndarray, np.ndarray]:
    index = prepared.index
    if len(pairs) <= LOOP_PAIRS and index.is_unique:
        pos = {rid: i for i, rid in enumerate(index.tolist())}
        a = np.array([pos.get(rid, -1) for rid in pairs.get_level_values(0).tolist()], dtype=np.intp)
        b = np.array([pos.get(rid, -1) for rid in pairs.get_level_values(1).tolist()], dtype=np.intp)
    else:
        a = index.get_indexer(pairs.get_level_values(0))
        b = index.get_indexer(pairs.get_level_values(1))
    if (a < 0).any() or (b < 0).any():
        raise KeyError("pairs reference record ids that are not in the prepared frame")
    return a, b


def _present(value: object) -> bool:
    """Not missing in the sense of ``pd.factorize`` / ``pd.isna`` (None, NaN, NA, NaT)."""
    return isinstance(value, str) or (value is not None and not pd.isna(value))


def _pairwise_loop(
    func: Callable[..., int], columns: list[tuple[np.ndarray, np.ndarray]], *, symmetric: bool
) -> np.ndarray:
    """:func:`pairwise_apply` for few pairs: same results (``func`` runs once per distinct value
    combination, with the arguments of the combination's first pair), without the vectorised set-up."""
    n = len(columns[0][0])
    out = np.zeros(n, dtype=np.int8)
    lists = [
        ([v if _present(v) else None for v in left.tolist()], [v if _present(v) else None for v in right.tolist()])
        for left, right in columns
    ]
    first_left, first_right = lists[0]
    memo: dict[tuple, int] = {}
    for i in range(n):
        if first_left[i] is None or first_right[i] is None:
            continue
        args: list = []
        key: list = []
        for left, right in lists:
            x, y = left[i], right[i]
            args += (x, y)
            key.append(frozenset((x, y)) if symmetric else (x, y))
        key_t = tuple(key)
        result = memo.get(key_t)
        if result is None:
            result = memo[key_t] = func(*args)
        out[i] = result
    return out


def pairwise_apply(
    func: Callable[..., int], columns: list[tuple[np.ndarray, np.ndarray]], *, symmetric: bool = False
) -> np.ndarray:
    """Evaluate ``func(a1, b1, a2, b2, ...)`` once per distinct value combination; 0 where a value is missing.

    ``columns`` are (left values, right values) object arrays; the first column decides missingness.
    """
    n = len(columns[0][0])
    if n <= LOOP_PAIRS:
        return _pairwise_loop(func, columns, symmetric=symmetric)
    out = np.zeros(n, dtype=np.int8)
    if n == 0:
        return out
    codes = []
    for left, right in columns:
        cat, uniques = pd.factorize(np.concatenate([left, right]), use_na_sentinel=True)
        codes.append((cat[:n].astype(np.int64), cat[n:].astype(np.int64), uniques))
    first_left, first_right, _ = codes[0]
    ok = (first_left >= 0) & (first_right >= 0)
    if not ok.any():
        return out
    combined = np.zeros(n, dtype=np.int64)
    for cl, cr, uniques in codes:
        base = len(uniques) + 1
        lo, hi = (np.minimum(cl, cr), np.maximum(cl, cr)) if symmetric else (cl, cr)
        key, _ = pd.factorize((lo + 1) * base + (hi + 1))
        combined, _ = pd.factorize(combined * n + key)
        combined = combined.astype(np.int64)
    uniq, first, inverse = np.unique(combined[ok], return_index=True, return_inverse=True)
    rows = np.flatnonzero(ok)[first]
    results = np.empty(len(uniq), dtype=np.int8)
    for j, row in enumerate(rows):
        args = []
        for cl, cr, uniques in codes:
            args.append(uniques[cl[row]] if cl[row] >= 0 else None)
            args.append(uniques[cr[row]] if cr[row] >= 0 else None)
        results[j] = func(*args)
    out[ok] = results[inverse.ravel()]
    return out


def _given(a: str, b: str) -> int:
    return given_level(a, b)


def _family(a: str, b: str, pa: str | None, pb: str | None) -> int:
    return family_level(a, b, pa or "", pb or "")


@lru_cache(maxsize=1 << 18)
def _email(a: str, b: str) -> int:
    if a == b:
        return 4
    la, _, da = a.partition("@")
    lb, _, db = b.partition("@")
    if la == lb and len(la) >= 5:
        return 2
    if da == db and min(len(la), len(lb)) >= 5 and jellyfish.damerau_levenshtein_distance(la, lb) <= 1:
        return 2
    if la == lb and len(la) >= 3 and jellyfish.damerau_levenshtein_distance(da, db) <= 1:
        return 2
    return 1


@lru_cache(maxsize=1 << 18)
def _phone(a: str, b: str) -> int:
    if a == b:
        return 4
    if len(a) == len(b) and len(a) >= 8:
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return 2
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return 2
    return 1


@lru_cache(maxsize=1 << 18)
def _national_id(a: str, b: str) -> int:
    if a == b:
        return 3
    if len(a) >= 6 and jellyfish.damerau_levenshtein_distance(a, b) <= 1:
        return 2
    return 1


@lru_cache(maxsize=1 << 18)
def _street(num_a: str, num_b: str, name_a: str | None, name_b: str | None) -> int:
    """3 when house numbers agree and street names are close, else 0 (decided by postcode/city)."""
    if num_a != num_b or not name_a or not name_b:
        return 0
    a, b = name_a.replace(" ", ""), name_b.replace(" ", "")
    if a == b or a.startswith(b) or b.startswith(a):
        return 3
    return 3 if jellyfish.jaro_winkler_similarity(a, b) >= 0.88 else 0


@lru_cache(maxsize=1 << 16)
def _postcode_close(a: str, b: str) -> int:
    """1 when two postcodes are one typo apart (same length, one substitution or a swap of neighbours)."""
    return int(len(a) == len(b) and jellyfish.damerau_levenshtein_distance(a, b) <= 1)


def _col(prepared: Prepared, name: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(prepared[name], dtype=object)
    return values[a], values[b]


def _exact(prepared: Prepared, name: str, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(both present, equal) for a string column."""
    values = np.asarray(prepared[name], dtype=object)
    if len(a) > LOOP_PAIRS:  # via integer codes
        codes, _ = pd.factorize(values)
        ca, cb = codes[a], codes[b]
        both = (ca >= 0) & (cb >= 0)
        return both, both & (ca == cb)
    present = ~pd.isna(values)
    both = present[a] & present[b]
    equal = np.zeros(len(a), dtype=bool)
    equal[both] = values[a[both]] == values[b[both]]
    return both, equal


def _dob_levels(prepared: Prepared, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DOB level per pair, and a mask of pairs where both sides have a full date."""
    y = np.asarray(prepared["dob_y"], dtype=np.int16)
    m = np.asarray(prepared["dob_m"], dtype=np.int8)
    d = np.asarray(prepared["dob_d"], dtype=np.int8)
    ya, yb, ma, mb, da, db = y[a], y[b], m[a], m[b], d[a], d[b]
    full = (ya > 0) & (yb > 0) & (ma > 0) & (mb > 0) & (da > 0) & (db > 0)
    years = (ya > 0) & (yb > 0)
    level = np.zeros(len(a), dtype=np.int8)
    level[years] = np.where(ya[years] == yb[years], 2, 1)
    same = (ya == yb).astype(np.int8) + (ma == mb) + (da == db)
    swap = (ya == yb) & (ma == db) & (da == mb) & (ma != mb)
    level[full] = np.where(ya[full] == yb[full], 2, 1)
    level[full & (same == 2)] = 3
    level[full & swap] = 4
    level[full & (same == 3)] = 5
    return level, full


def compare(prepared: pd.DataFrame | Prepared, pairs: pd.MultiIndex) -> pd.DataFrame:
    """Comparison levels (int8, see module docstring) for every candidate pair, indexed like ``pairs``."""
    prepared = as_prepared(prepared)
    a, b = _positions(prepared, pairs)
    levels, _dob = _compare_positions(prepared, a, b)
    return pd.DataFrame(levels, index=pairs)


def _compare_positions(
    prepared: Prepared, a: np.ndarray, b: np.ndarray
) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """:func:`compare` on record positions: the levels per field, and (DOB level, both-full-DOB mask)."""
    levels = {}
    gl, gr = _col(prepared, "gk", a, b)
    levels["given"] = pairwise_apply(_given, [(gl, gr)], symmetric=True)
    fl, fr = _col(prepared, "fk", a, b)
    pl, pr = _col(prepared, "fp", a, b)
    levels["family"] = pairwise_apply(_family, [(fl, fr), (pl, pr)])
    # given and family written the other way round ("Smith John" / "John Smith")
    swapped = (levels["given"] == GIVEN_DIFFERENT) & (levels["family"] == FAMILY_DIFFERENT) & (gl == fr) & (fl == gr)
    levels["given"][swapped] = GIVEN_EXACT
    levels["family"][swapped] = FAMILY_EXACT
    dob = _dob_levels(prepared, a, b)
    levels["dob"] = dob[0].copy()

    el, er = _col(prepared, "email_key", a, b)
    email = pairwise_apply(_email, [(el, er)], symmetric=True)
    shared = np.asarray(prepared["email_shared"], dtype=bool)
    email[(email == 4) & shared[a]] = 3
    name_like = np.asarray(prepared["email_name_like"], dtype=bool)
    el_local = np.asarray(prepared["email_local"], dtype=object)
    same_local = (email == 2) & (el_local[a] == el_local[b])
    email[same_local & (name_like[a] | name_like[b])] = 1
    levels["email"] = email

    phl, phr = _col(prepared, "phone_key", a, b)
    phone = pairwise_apply(_phone, [(phl, phr)], symmetric=True)
    shared = np.asarray(prepared["phone_shared"], dtype=bool)
    phone[(phone == 4) & shared[a]] = 3
    levels["phone"] = phone

    nl, nr = _col(prepared, "national_id_key", a, b)
    levels["national_id"] = pairwise_apply(_national_id, [(nl, nr)], symmetric=True)

    # address: exact street, else same number + similar street name, else postcode, else city
    st_both, st_eq = _exact(prepared, "street_key", a, b)
    pc_both, pc_eq = _exact(prepared, "postcode_key", a, b)
    ci_both, ci_eq = _exact(prepared, "city_key", a, b)
    address = np.zeros(len(a), dtype=np.int8)
    address[st_both | pc_both | ci_both] = 1
    address[np.where(pc_both, pc_eq, ci_eq)] = 2
    snl, snr = _col(prepared, "street_num", a, b)
    nml, nmr = _col(prepared, "street_name", a, b)
    close = pairwise_apply(_street, [(snl, snr), (nml, nmr)])
    pl_, pr_ = _col(prepared, "postcode_key", a, b)
    pc_close = pairwise_apply(_postcode_close, [(pl_, pr_)], symmetric=True).astype(bool)
    address[(close == 3) & (~pc_both | pc_eq | pc_close)] = 3
    address[st_eq] = 4
    levels["address"] = address

    co_both, co_eq = _exact(prepared, "company_key", a, b)
    levels["company"] = np.where(co_eq, 2, np.where(co_both, 1, 0)).astype(np.int8)
    return levels, dob


def contrary_evidence(
    prepared: pd.DataFrame | Prepared, pairs: pd.MultiIndex, levels: pd.DataFrame | None = None
) -> pd.Series:
    """The household/twin rule: True where a link is forbidden whatever else agrees.

    Clearly different given names (not a nickname, short form, initial or typo of each other) or clearly
    different full dates of birth (not a day/month swap or a one-component typo) mean two people, even
    when surname, address, landline and e-mail agree: that is exactly what households and twins look like.
    The one exception is an identical national id: twins and household members never
    share one, so noisy names/DOBs (data-entry errors) do not veto such a pair; it is scored as usual.
    Pass ``levels`` from :func:`compare` to avoid recomputing them.
    """
    prepared = as_prepared(prepared)
    if levels is None:
        levels = compare(prepared, pairs)
    a, b = _positions(prepared, pairs)
    dob_level, full = _dob_levels(prepared, a, b)
    contrary = _contrary(levels["given"].to_numpy(), levels["national_id"].to_numpy(), dob_level, full)
    return pd.Series(contrary, index=pairs, name="contrary")


def _contrary(given: np.ndarray, national_id: np.ndarray, dob_level: np.ndarray, full: np.ndarray) -> np.ndarray:
    """The household/twin rule over level arrays (see :func:`contrary_evidence`)."""
    given_conflict = given == GIVEN_DIFFERENT
    dob_conflict = full & (dob_level == 1)
    # the same national id (allowing one typo) is something no two household members or twins share
    same_person_id = national_id >= 2
    return (given_conflict | dob_conflict) & ~same_person_id
