"""Quality measures of a clustering against the truth, plus the exact-match baseline.

All measures work from group counts (never by enumerating pairs), so they run on millions of records.
``clusters`` and ``truth`` are Series indexed by record id (cluster label / true entity id); only records
present in both are scored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs_count(sizes: pd.Series | np.ndarray) -> int:
    s = np.asarray(sizes, dtype=np.int64)
    return int((s * (s - 1) // 2).sum())


def _aligned(clusters: pd.Series, truth: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"c": clusters, "t": truth}).dropna()
    frame["c"] = pd.factorize(frame["c"])[0]
    frame["t"] = pd.factorize(frame["t"])[0]
    return frame


def pairwise_scores(clusters: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Precision, recall and F1 over within-cluster record pairs (plus the raw pair counts)."""
    frame = _aligned(clusters, truth)
    predicted = _pairs_count(frame.groupby("c").size())
    actual = _pairs_count(frame.groupby("t").size())
    correct = _pairs_count(frame.groupby(["c", "t"]).size())
    precision = correct / predicted if predicted else 1.0
    recall = correct / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted_pairs": predicted,
        "true_pairs": actual,
        "correct_pairs": correct,
    }


def unified_rate(clusters: pd.Series, truth: pd.Series, *, min_records: int = 2) -> float:
    """Share of true entities held whole by exactly one cluster that holds nobody else.

    Only entities with at least ``min_records`` records count (default 2, the population the "linkable
    ceiling" is defined on: a single-record person is trivially whole); pass 1 to count everyone.
    """
    frame = _aligned(clusters, truth)
    ent_size = frame.groupby("t").size()
    clu_size = frame.groupby("c").size()
    combo = frame.groupby(["t", "c"]).size().reset_index(name="n")
    per_entity = combo.groupby("t").agg(n_clusters=("c", "size"), c=("c", "first"))
    whole = (per_entity["n_clusters"] == 1) & (clu_size.reindex(per_entity["c"]).to_numpy() == ent_size.to_numpy())
    eligible = ent_size >= min_records
    return float(whole[eligible].mean()) if eligible.any() else 1.0


def over_merge_rate(clusters: pd.Series, truth: pd.Series) -> float:
    """Share of clusters (golden records) holding more than one true entity."""
    frame = _aligned(clusters, truth)
    per_cluster = frame.groupby("c")["t"].nunique()
    return float((per_cluster > 1).mean()) if len(per_cluster) else 0.0


def split_rate(clusters: pd.Series, truth: pd.Series, *, min_records: int = 2) -> float:
    """Share of true entities (with >= ``min_records`` records) spread over more than one cluster."""
    frame = _aligned(clusters, truth)
    per_entity = frame.groupby("t")["c"].nunique()
    sizes = frame.groupby("t").size()
    eligible = sizes >= min_records
    return float((per_entity[eligible] > 1).mean()) if eligible.any() else 0.0


def pair_completeness(pairs: pd.MultiIndex, truth: pd.Series) -> float:
    """Share of true matching pairs that the candidate pairs contain (blocking recall)."""
    t = truth.dropna()
    a = t.reindex(pairs.get_level_values(0)).to_numpy()
    b = t.reindex(pairs.get_level_values(1)).to_numpy()
    found = int(((a == b) & pd.notna(a)).sum())
    actual = _pairs_count(t.groupby(t).size())
    return found / actual if actual else 1.0


def _union_find_labels(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected components over position pairs (vectorised label propagation)."""
    labels = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return labels
    while True:
        lo = np.minimum(labels[left], labels[right])
        changed = False
        for side in (left, right):
            new = labels.copy()
            np.minimum.at(new, side, lo)
            if (new != labels).any():
                changed = True
            labels = new
        # pointer jumping
        jumped = labels[labels]
        while (jumped != labels).any():
            labels = jumped
            jumped = labels[labels]
        if not changed:
            return labels


def exact_match_clusters(prepared: pd.DataFrame) -> pd.Series:
    """The exact-match baseline: union-find over same e-mail key, same phone + family key, same national
    id, or same given + family key + date of birth (on the contract columns, no fuzzy logic)."""
    n = len(prepared)
    lefts, rights = [], []

    def key_pairs(cols: list[str]) -> None:
        frame = prepared[cols]
        valid = frame.notna().all(axis=1).to_numpy()
        if not valid.any():
            return
        key = frame.astype(str).agg("\x1f".join, axis=1) if len(cols) > 1 else frame[cols[0]].astype(str)
        codes = pd.factorize(key)[0]
        pos = np.flatnonzero(valid)
        order = pos[np.argsort(codes[pos], kind="stable")]
        c = codes[order]
        same = c[1:] == c[:-1]
        lefts.append(order[:-1][same])
        rights.append(order[1:][same])

    key_pairs(["email_key"])
    key_pairs(["phone_key", "family_key"])
    key_pairs(["national_id_key"])
    key_pairs(["given_key", "family_key", "date_of_birth"])
    left = np.concatenate(lefts) if lefts else np.empty(0, np.int64)
    right = np.concatenate(rights) if rights else np.empty(0, np.int64)
    labels = _union_find_labels(n, left, right)
    ids = prepared.index.to_numpy(np.int64)
    return pd.Series(ids[labels], index=prepared.index, name="cluster")
