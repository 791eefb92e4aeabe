"""Scoring models over comparison levels: unsupervised Fellegi-Sunter (EM) and supervised logistic.

Both expose the same interface: ``match_weights(levels)`` gives per-field log2 Bayes factors (0 for a
missing field, so a score can be explained field by field), ``probability(levels)`` the posterior match
probability, and ``to_dict`` / ``from_dict`` a JSON-serialisable form to store versioned and reuse in
incremental runs.

Term-frequency adjustment (Fellegi-Sunter only): agreeing exactly on a rare family name ("Zylstra") is
stronger evidence than agreeing on "Smith".  The fitted model keeps the relative frequency of every given
(nickname-canonical) and family name seen at fit time; an exact agreement on value v gets an extra
``log2(reference / freq(v))`` (clipped to +-``TF_CLIP`` bits) where the reference is the geometric mean
frequency over the exactly-agreeing pairs EM was fitted on, so on average the adjustment is zero and the
EM-calibrated weights stay calibrated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from profiles.matching.comparison import FIELDS, _positions
from profiles.matching.prepare import Prepared, as_prepared

TF_CLIP = 3.0
#: field -> (prepared column holding the value, levels that count as exact agreement on that value)
TF_FIELDS: dict[str, tuple[str, tuple[int, ...]]] = {
    "given": ("gc", (4, 5)),
    "family": ("fk", (4,)),
}
_EPS = 1e-6


def tf_values(prepared: pd.DataFrame | Prepared, pairs: pd.MultiIndex) -> pd.DataFrame:
    """The agreed value per pair for term-frequency fields (left record's value; used only on agreement)."""
    prepared = as_prepared(prepared)
    a, _ = _positions(prepared, pairs)
    return pd.DataFrame(_tf_values_at(prepared, a), index=pairs)


def _tf_values_at(prepared: Prepared, a: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`tf_values` (as arrays) given the positions of the pairs' left records."""
    return {field: np.asarray(prepared[col], dtype=object)[a] for field, (col, _levels) in TF_FIELDS.items()}


def term_frequencies(prepared: pd.DataFrame | Prepared, *, min_count: int = 2) -> dict[str, dict[str, float]]:
    """Relative frequency of each given (canonical) / family name among records; rare values omitted."""
    prepared = as_prepared(prepared)
    out: dict[str, dict[str, float]] = {}
    for field, (col, _levels) in TF_FIELDS.items():
        counts = prepared.series(col).value_counts()
        total = max(int(counts.sum()), 1)
        floor = 1.0 / total
        kept = counts[counts >= min_count]
        table = {str(k): float(v) / total for k, v in kept.items()}
        table["__floor__"] = floor
        out[field] = table
    return out


def row_totals(weights: dict[str, np.ndarray], index: pd.Index) -> np.ndarray:
    """``pd.DataFrame(weights, index=index).sum(axis=1).to_numpy()``, bit for bit, without the frame.

    pandas sums such a frame over its (fields x pairs) float block, transposed; numpy given the same
    memory layout adds in the same order, so the rounding is the same.  Anything else (no fields, no rows,
    non-float columns) goes through pandas itself.
    """
    columns = list(weights.values())
    if not columns or not len(index) or any(c.dtype != np.float64 or c.ndim != 1 for c in columns):
        return pd.DataFrame(weights, index=index).sum(axis=1).to_numpy()
    values = np.vstack(columns).T
    mask = np.isnan(values)
    if mask.any():  # nansum: missing values count as 0, on a (C-ordered) copy
        values = values.copy()
        np.putmask(values, mask, 0)
    return values.sum(axis=1, dtype=np.float64)


def _levels_array(levels: pd.DataFrame, fields: list[str]) -> np.ndarray:
    missing = [f for f in fields if f not in levels]
    if missing:
        raise KeyError(f"levels frame lacks fields {missing}")
    return levels[fields].to_numpy(dtype=np.int64)


class FellegiSunterModel:
    """Multi-level Fellegi-Sunter model with m/u probabilities estimated by EM on the data itself.

    EM runs on the distinct level patterns with their counts (thousands, whatever the number of pairs),
    so fitting costs milliseconds.  Pass ``exclude`` (the household rule's verdict) so pairs already known
    to be non-matches do not teach the model that a shared address or phone means "different person".
    """

    def __init__(
        self,
        fields: list[str],
        m: dict[str, list[float]],
        u: dict[str, list[float]],
        prior: float,
        tf: dict[str, dict[str, float]] | None = None,
        tf_reference: dict[str, float] | None = None,
        iterations: int = 0,
    ) -> None:
        self.fields = list(fields)
        self.m = {f: list(map(float, m[f])) for f in self.fields}
        self.u = {f: list(map(float, u[f])) for f in self.fields}
        self.prior = float(prior)
        self.tf = tf or {}
        self.tf_reference = tf_reference or {}
        self.iterations = iterations

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        levels: pd.DataFrame,
        *,
        exclude: pd.Series | None = None,
        fields: list[str] | None = None,
        max_iterations: int = 200,
        tolerance: float = 1e-6,
        prior: float = 0.3,
        tf: dict[str, dict[str, float]] | None = None,
        tf_pairs: pd.DataFrame | None = None,
        known_non_match_weight: float = 1.0,
    ) -> FellegiSunterModel:
        """Estimate m, u and the match prior by EM over the (non-excluded) candidate pairs.

        ``tf`` (from :func:`term_frequencies`) and ``tf_pairs`` (from :func:`tf_values`) switch on the
        term-frequency adjustment.
        """
        fields = [f for f in (fields or list(FIELDS)) if f in levels]
        excluded = (
            np.zeros(len(levels), bool)
            if exclude is None
            else exclude.reindex(levels.index, fill_value=False).to_numpy()
        )
        data = levels[~excluded]
        arr = _levels_array(data, fields)
        sizes = [max(FIELDS.get(f, 0), int(levels[f].max()) + 1 if len(levels) else 2) for f in fields]
        # Excluded pairs are known non-matches.  They enter u only as a weak Dirichlet prior (at most
        # ``known_non_match_weight`` x 10% of the EM data): enough that no agreement level gets u = 0 and an
        # absurd weight, too little to pin the u class to households (which lets EM put every unlabeled
        # pair into the match class on large data).
        n_excluded = int(excluded.sum())
        scale = known_non_match_weight * min(1.0, 0.1 * len(data) / max(n_excluded, 1))
        known_u = [
            np.bincount(levels[f].to_numpy(dtype=np.int64)[excluded], minlength=size)[:size].astype(float) * scale
            for f, size in zip(fields, sizes, strict=True)
        ]
        if len(arr) == 0:
            raise ValueError("no pairs to fit on")
        # distinct patterns + counts
        code = np.zeros(len(arr), dtype=np.int64)
        for j, size in enumerate(sizes):
            code = code * size + arr[:, j]
        uniq, first, counts = np.unique(code, return_index=True, return_counts=True)
        pat = arr[first]
        counts = counts.astype(float)
        # initial values: m leans to the top level, u to the observed distribution (mostly non-matches)
        m, u = [], []
        for j, size in enumerate(sizes):
            col = pat[:, j]
            obs = np.array([counts[col == k].sum() for k in range(size)], dtype=float) + 1.0
            obs[0] = 0.0
            u.append(obs / obs.sum())
            mm = np.array([0.0] + [2.0**k for k in range(1, size)])
            m.append(mm / mm.sum())
        lam = prior
        iterations = 0
        prev = -np.inf
        for iterations in range(1, max_iterations + 1):  # noqa: B007
            log_m = np.zeros(len(pat))
            log_u = np.zeros(len(pat))
            for j in range(len(sizes)):
                col = pat[:, j]
                present = col > 0
                log_m[present] += np.log(m[j][col[present]])
                log_u[present] += np.log(u[j][col[present]])
            a = np.log(lam) + log_m
            b = np.log1p(-lam) + log_u
            top = np.maximum(a, b)
            ll = top + np.log(np.exp(a - top) + np.exp(b - top))
            g = np.exp(a - ll)
            loglik = float((counts * ll).sum())
            wm, wu = counts * g, counts * (1 - g)
            lam = float(np.clip(wm.sum() / counts.sum(), _EPS, 1 - _EPS))
            for j, size in enumerate(sizes):
                col = pat[:, j]
                sm = np.bincount(col, weights=wm, minlength=size)[:size] + _EPS
                su = np.bincount(col, weights=wu, minlength=size)[:size] + known_u[j] + _EPS
                sm[0] = su[0] = 0.0
                m[j] = np.where(np.arange(size) > 0, sm / sm.sum(), 1.0)
                u[j] = np.where(np.arange(size) > 0, su / su.sum(), 1.0)
            if abs(loglik - prev) < tolerance * max(1.0, abs(loglik)):
                break
            prev = loglik
        model = cls(
            fields,
            {f: m[j].tolist() for j, f in enumerate(fields)},
            {f: u[j].tolist() for j, f in enumerate(fields)},
            lam,
            iterations=iterations,
        )
        model._orient()
        model._estimate_vetoed_levels(levels, data)
        if tf is not None and tf_pairs is not None:
            model.tf = tf
            model.tf_reference = model._tf_reference(data, tf_pairs.reindex(data.index))
        return model

    def _estimate_vetoed_levels(self, levels: pd.DataFrame, fitted: pd.DataFrame) -> None:
        """m/u of "different" levels that the exclusion removed from the EM data (given names, DOB).

        EM never sees a clearly different given name (those pairs are excluded), so it cannot weigh one;
        yet such pairs are scored when a national id overrides the household rule.  u comes from all
        candidate pairs (overwhelmingly non-matches); m from pairs agreeing on a national id (near-certain
        matches) when there are enough of them, else a 1% floor.
        """
        anchor = levels["national_id"].to_numpy() == 3 if "national_id" in levels else np.zeros(len(levels), bool)
        for f in self.fields:
            col = levels[f].to_numpy()
            present = col > 0
            if not present.any():
                continue
            fitted_share = float((fitted[f].to_numpy() == 1).mean()) if len(fitted) else 0.0
            all_share = float((col[present] == 1).mean())
            if fitted_share > 0.01 * max(all_share, 1e-9) or all_share == 0:
                continue
            u1 = min(max(self.u[f][1], all_share if fitted_share == 0 else 0.0, _EPS), 1 - _EPS)
            sure = anchor & present
            m1 = float((col[sure] == 1).mean()) if sure.sum() >= 50 else 0.01
            m1 = min(max(m1, 0.001), 0.5)
            m_rest = np.asarray(self.m[f][2:], dtype=float)
            u_rest = np.asarray(self.u[f][2:], dtype=float)
            m_rest = m_rest / m_rest.sum() * (1 - m1) if m_rest.sum() > 0 else m_rest
            u_rest = u_rest / u_rest.sum() * (1 - u1) if u_rest.sum() > 0 else u_rest
            self.m[f] = [1.0, m1, *m_rest.tolist()]
            self.u[f] = [1.0, u1, *u_rest.tolist()]

    def _orient(self) -> None:
        """EM's two classes are unlabeled: make sure "match" is the class that agrees on names."""
        score = 0.0
        for f in self.fields:
            top = len(self.m[f]) - 1
            score += math.log(self.m[f][top] / self.u[f][top])
        if score < 0:
            self.m, self.u = self.u, self.m
            self.prior = 1 - self.prior

    def _tf_reference(self, levels: pd.DataFrame, values: pd.DataFrame) -> dict[str, float]:
        ref = {}
        for field, (_col, exact_levels) in TF_FIELDS.items():
            if field not in self.fields or field not in values or field not in self.tf:
                continue
            agree = levels[field].isin(exact_levels).to_numpy()
            freqs = self._freqs(field, values[field].to_numpy(dtype=object)[agree])
            ref[field] = float(np.exp(np.log(freqs).mean())) if len(freqs) else 1.0
        return ref

    def _freqs(self, field: str, values: np.ndarray) -> np.ndarray:
        """Relative frequency of each value (the table's floor for values it does not hold).

        A dict look-up per value, as ``Series.map(table).fillna(floor)`` does, without turning the whole
        table into a Series on every call.
        """
        table = self.tf[field]
        floor = table.get("__floor__", 1e-6)
        freqs = np.array([table.get(v, floor) if isinstance(v, str) else floor for v in values.tolist()], dtype=float)
        freqs[np.isnan(freqs)] = floor
        return freqs

    # ------------------------------------------------------------------ scoring
    def level_weights(self) -> dict[str, list[float]]:
        """log2(m/u) per field and level (level 0 = missing -> 0)."""
        out = {}
        for f in self.fields:
            w = [0.0] + [
                math.log2(max(mk, _EPS) / max(uk, _EPS)) for mk, uk in zip(self.m[f][1:], self.u[f][1:], strict=True)
            ]
            out[f] = w
        return out

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def match_weights(self, levels: pd.DataFrame, tf_pairs: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per-field log2 Bayes factors for each pair (0 where the field is missing on either side)."""
        values = None if tf_pairs is None else {f: tf_pairs[f].to_numpy(dtype=object) for f in tf_pairs}
        return pd.DataFrame(self.weight_arrays(levels, values), index=levels.index)

    def weight_arrays(
        self, levels: Mapping[str, Any], tf_pairs: Mapping[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """:meth:`match_weights` as arrays, from level and term-frequency value columns (arrays or Series)."""
        table = self.level_weights()
        out = {}
        for f in self.fields:
            lv = np.asarray(levels[f], dtype=np.int64)
            w = np.asarray(table[f])[np.clip(lv, 0, len(table[f]) - 1)]
            if tf_pairs is not None and f in self.tf_reference and f in tf_pairs:
                exact_levels = TF_FIELDS[f][1]
                agree = np.isin(lv, exact_levels)
                if agree.any():
                    freqs = self._freqs(f, np.asarray(tf_pairs[f], dtype=object)[agree])
                    adj = np.clip(np.log2(self.tf_reference[f] / freqs), -TF_CLIP, TF_CLIP)
                    w = w.copy()
                    w[agree] += adj
            out[f] = w
        return out

    def probability(self, levels: pd.DataFrame, tf_pairs: pd.DataFrame | None = None) -> pd.Series:
        """Posterior match probability from the prior and the summed match weights."""
        total = self.match_weights(levels, tf_pairs).sum(axis=1) + self.prior_weight
        return pd.Series(1.0 / (1.0 + np.exp2(-total.to_numpy())), index=levels.index, name="probability")

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "fellegi-sunter",
            "version": 1,
            "fields": self.fields,
            "m": self.m,
            "u": self.u,
            "prior": self.prior,
            "tf": self.tf,
            "tf_reference": self.tf_reference,
            "iterations": self.iterations,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FellegiSunterModel:
        if data.get("kind") != "fellegi-sunter":
            raise ValueError(f"not a Fellegi-Sunter model: {data.get('kind')!r}")
        return cls(
            data["fields"],
            data["m"],
            data["u"],
            data["prior"],
            tf=data.get("tf"),
            tf_reference=data.get("tf_reference"),
            iterations=data.get("iterations", 0),
        )


class SupervisedModel:
    """Logistic regression on one-hot comparison levels, for when stewards have labelled enough pairs.

    Level 0 (missing) is the reference category of every field, so a missing field contributes exactly 0,
    as in the Fellegi-Sunter model; coefficients divided by ln 2 are log2 Bayes factors.
    """

    def __init__(self, fields: list[str], coefficients: dict[str, list[float]], intercept: float) -> None:
        self.fields = list(fields)
        self.coefficients = {f: list(map(float, coefficients[f])) for f in self.fields}
        self.intercept = float(intercept)

    @staticmethod
    def _design(levels: pd.DataFrame, fields: list[str], sizes: dict[str, int]) -> np.ndarray:
        cols = []
        for f in fields:
            lv = levels[f].to_numpy(dtype=np.int64)
            for k in range(1, sizes[f]):
                cols.append(lv == k)
        return np.column_stack(cols).astype(float) if cols else np.zeros((len(levels), 0))

    @classmethod
    def fit(
        cls, levels: pd.DataFrame, labels: pd.Series, *, fields: list[str] | None = None, c: float = 1.0
    ) -> SupervisedModel:
        """Fit on labelled pairs (labels: truthy = same person), L2-regularised."""
        from sklearn.linear_model import LogisticRegression

        fields = [f for f in (fields or list(FIELDS)) if f in levels]
        sizes = {f: max(FIELDS.get(f, 0), int(levels[f].max()) + 1) for f in fields}
        y = labels.reindex(levels.index).astype(bool).to_numpy()
        if y.all() or not y.any():
            raise ValueError("need both matching and non-matching labelled pairs")
        x = cls._design(levels, fields, sizes)
        clf = LogisticRegression(C=c, max_iter=1000)
        clf.fit(x, y)
        coef = clf.coef_[0]
        out, pos = {}, 0
        for f in fields:
            n = sizes[f] - 1
            out[f] = [0.0] + coef[pos : pos + n].tolist()
            pos += n
        return cls(fields, out, float(clf.intercept_[0]))

    def match_weights(self, levels: pd.DataFrame, tf_pairs: pd.DataFrame | None = None) -> pd.DataFrame:
        return pd.DataFrame(self.weight_arrays(levels), index=levels.index)

    def weight_arrays(
        self, levels: Mapping[str, Any], tf_pairs: Mapping[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        out = {}
        for f in self.fields:
            table = np.asarray(self.coefficients[f]) / math.log(2)
            lv = np.clip(np.asarray(levels[f], dtype=np.int64), 0, len(table) - 1)
            out[f] = table[lv]
        return out

    @property
    def prior_weight(self) -> float:
        return self.intercept / math.log(2)

    def probability(self, levels: pd.DataFrame, tf_pairs: pd.DataFrame | None = None) -> pd.Series:
        total = self.match_weights(levels).sum(axis=1) + self.prior_weight
        return pd.Series(1.0 / (1.0 + np.exp2(-total.to_numpy())), index=levels.index, name="probability")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "supervised-logistic",
            "version": 1,
            "fields": self.fields,
            "coefficients": self.coefficients,
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SupervisedModel:
        if data.get("kind") != "supervised-logistic":
            raise ValueError(f"not a supervised model: {data.get('kind')!r}")
        return cls(data["fields"], data["coefficients"], data["intercept"])


def model_from_dict(data: dict[str, Any]) -> FellegiSunterModel | SupervisedModel:
    """Rebuild whichever model kind ``data`` holds."""
    if data.get("kind") == "supervised-logistic":
        return SupervisedModel.from_dict(data)
    return FellegiSunterModel.from_dict(data)
