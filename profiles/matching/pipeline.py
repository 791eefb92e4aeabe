"""One-call identity resolution: prepare -> candidates -> compare -> household rule -> model -> decide -> cluster."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from profiles.matching.blocking import candidate_pairs
from profiles.matching.clustering import ConflictChecker, _cluster
from profiles.matching.comparison import _compare_positions, _contrary, _positions
from profiles.matching.models import (
    FellegiSunterModel,
    SupervisedModel,
    _tf_values_at,
    row_totals,
    term_frequencies,
    tf_values,
)
from profiles.matching.prepare import Prepared, prepare_columns
from profiles.matching.settings import MatchSettings

Model = FellegiSunterModel | SupervisedModel


@dataclass
class ResolveResult:
    """Scored pairs, clusters and the model used.

    ``pairs``: indexed by (id_a, id_b) with ``probability``, ``match_weight`` (prior + field weights, log2),
    one ``w_<field>`` column per field, ``decision`` in {"link", "review", "no-match"}, ``contrary`` (the
    household rule fired) and ``refused`` ("", "conflict" or "size": a would-be link the clustering
    refused; such pairs are sent to review).  ``clusters``: record id -> cluster label (smallest record id
    of the cluster).  ``levels``: the comparison levels (for stewards' labelling / supervised training).
    """

    pairs: pd.DataFrame
    clusters: pd.Series
    model: Model
    stats: dict[str, Any] = field(default_factory=dict)
    levels: pd.DataFrame | None = None


def decide(probability: pd.Series, contrary: pd.Series, settings: MatchSettings) -> np.ndarray:
    """link / review / no-match from the probability; the household rule forces no-match."""
    return _decide(probability.to_numpy(), contrary.to_numpy(), settings)


def _decide(p: np.ndarray, contrary: np.ndarray, settings: MatchSettings) -> np.ndarray:
    decision = np.where(
        p >= settings.auto_link_threshold, "link", np.where(p >= settings.review_threshold, "review", "no-match")
    ).astype(object)
    decision[contrary] = "no-match"
    return decision


def _existing_links(existing_clusters: pd.Series) -> list[tuple[int, int]]:
    """(record, smallest record of its golden record) for every record that is not that smallest one."""
    values = existing_clusters.to_numpy()
    keep = ~pd.isna(values)
    ids = existing_clusters.index.to_numpy(np.int64)[keep].tolist()
    goldens = values[keep].tolist()
    smallest: dict[Any, int] = {}
    for rid, golden in zip(ids, goldens, strict=True):
        if golden not in smallest or rid < smallest[golden]:
            smallest[golden] = rid
    return [(rid, smallest[golden]) for rid, golden in zip(ids, goldens, strict=True) if rid != smallest[golden]]


def fit_model(
    prepared: pd.DataFrame | Prepared,
    pairs: pd.MultiIndex,
    levels: pd.DataFrame,
    contrary: pd.Series,
    settings: MatchSettings,
) -> FellegiSunterModel:
    """EM on the pairs the household rule has not already rejected (+ term frequencies of this data)."""
    tf = term_frequencies(prepared) if settings.term_frequency else None
    tf_pairs = tf_values(prepared, pairs) if settings.term_frequency else None
    # the household rule without its national-id exception: EM must not learn from vetoed-looking pairs
    vetoed = contrary.to_numpy() | (levels["given"].to_numpy() == 1) | (levels["dob"].to_numpy() == 1)
    return FellegiSunterModel.fit(
        levels,
        exclude=pd.Series(vetoed, index=levels.index),
        max_iterations=settings.em_max_iterations,
        tolerance=settings.em_tolerance,
        tf=tf,
        tf_pairs=tf_pairs,
    )


def resolve(
    records: pd.DataFrame,
    *,
    settings: MatchSettings | None = None,
    model: Model | None = None,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    focus: pd.Index | None = None,
    existing_clusters: pd.Series | None = None,
) -> ResolveResult:
    """Resolve ``records`` (the input frame contract) into scored pairs and clusters.

    Full run: ``focus=None`` and ``model=None`` (EM fits a model on this data).  Incremental run: pass the
    pending records plus every record of the golden records their candidates touch, ``focus`` = the
    pending ids, the stored ``model`` and ``existing_clusters`` (record id -> current golden record id for
    the non-pending records): existing golden records are kept together (as must-links) and only pairs
    touching the focus are scored, so the outcome matches what a full run would decide for those pairs.
    """
    settings = settings or MatchSettings()
    stats: dict[str, Any] = {"records": len(records)}
    t = time.perf_counter()
    prepared = prepare_columns(records)
    stats["seconds_prepare"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    pairs = candidate_pairs(prepared, focus=focus, settings=settings)
    stats["candidate_pairs"] = len(pairs)
    stats["seconds_candidates"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    a, b = _positions(prepared, pairs)
    level_arrays, (dob_level, full_dob) = _compare_positions(prepared, a, b)
    levels = pd.DataFrame(level_arrays, index=pairs)
    contrary = _contrary(level_arrays["given"], level_arrays["national_id"], dob_level, full_dob)
    stats["contrary_pairs"] = int(contrary.sum())
    stats["seconds_compare"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    if model is None:
        model = fit_model(prepared, pairs, levels, pd.Series(contrary, index=pairs, name="contrary"), settings)
    tf_pairs = _tf_values_at(prepared, a) if isinstance(model, FellegiSunterModel) and model.tf else None
    if type(model) in (FellegiSunterModel, SupervisedModel):  # the same weights, without the frames
        weights = model.weight_arrays(level_arrays, tf_pairs)
        total = row_totals(weights, pairs) + model.prior_weight
    else:  # a subclass or any other object with the models' interface
        frame = model.match_weights(levels, None if tf_pairs is None else pd.DataFrame(tf_pairs, index=pairs))
        weights = {col: frame[col].to_numpy() for col in frame}
        total = (frame.sum(axis=1) + model.prior_weight).to_numpy()
    probability = 1.0 / (1.0 + np.exp2(-total))
    decision = _decide(probability, contrary, settings)
    stats["seconds_score"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    links = list(must_link)
    if existing_clusters is not None:
        links += _existing_links(existing_clusters)
    id_a = pairs.get_level_values(0).to_numpy(np.int64)
    id_b = pairs.get_level_values(1).to_numpy(np.int64)
    link = decision == "link"
    outcome = _cluster(
        prepared.index,
        (id_a[link], id_b[link], probability[link]) if len(pairs) else None,
        must_link=links,
        cannot_link=cannot_link,
        conflicts=ConflictChecker(prepared, national_ids=settings.national_id_conflicts),
        settings=settings,
    )
    refused = np.full(len(pairs), "", dtype=object)
    if outcome.refused:  # only linked pairs can have been refused
        linked = zip(id_a[link].tolist(), id_b[link].tolist(), strict=True)
        for pos, pair in zip(np.flatnonzero(link).tolist(), linked, strict=True):
            reason = outcome.refused.get(pair)
            if reason is not None:
                refused[pos] = reason
                decision[pos] = "review"
    columns: dict[str, np.ndarray] = {"probability": probability, "match_weight": total}
    for col, values in weights.items():
        columns[f"w_{col}"] = values
    columns["decision"] = decision
    columns["contrary"] = contrary
    columns["refused"] = refused
    out = pd.DataFrame(columns, index=pairs)
    stats["seconds_cluster"] = round(time.perf_counter() - t, 3)
    stats["auto_linked"] = int((decision == "link").sum())
    stats["to_review"] = int((decision == "review").sum())
    stats["refused_joins"] = len(outcome.refused)
    stats["clusters"] = len(set(outcome.labels.to_numpy().tolist()))
    stats["seconds_total"] = round(
        sum(v for k, v in stats.items() if k.startswith("seconds_") and k != "seconds_total"), 3
    )
    return ResolveResult(pairs=out, clusters=outcome.labels, model=model, stats=stats, levels=levels)
