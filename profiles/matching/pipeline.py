"""One-call identity resolution: prepare -> candidates -> compare -> household rule -> model -> decide -> cluster."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from profiles.matching.blocking import candidate_pairs
from profiles.matching.clustering import ConflictChecker, cluster_details
from profiles.matching.comparison import compare, contrary_evidence
from profiles.matching.models import FellegiSunterModel, SupervisedModel, term_frequencies, tf_values
from profiles.matching.prepare import prepare
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
    p = probability.to_numpy()
    decision = np.where(
        p >= settings.auto_link_threshold, "link", np.where(p >= settings.review_threshold, "review", "no-match")
    ).astype(object)
    decision[contrary.to_numpy()] = "no-match"
    return decision


def fit_model(
    prepared: pd.DataFrame, pairs: pd.MultiIndex, levels: pd.DataFrame, contrary: pd.Series, settings: MatchSettings
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
    prepared = prepare(records)
    stats["seconds_prepare"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    pairs = candidate_pairs(prepared, focus=focus, settings=settings)
    stats["candidate_pairs"] = len(pairs)
    stats["seconds_candidates"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    levels = compare(prepared, pairs)
    contrary = contrary_evidence(prepared, pairs, levels)
    stats["contrary_pairs"] = int(contrary.sum())
    stats["seconds_compare"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    if model is None:
        model = fit_model(prepared, pairs, levels, contrary, settings)
    tf_pairs = tf_values(prepared, pairs) if isinstance(model, FellegiSunterModel) and model.tf else None
    weights = model.match_weights(levels, tf_pairs)
    total = weights.sum(axis=1) + model.prior_weight
    probability = pd.Series(1.0 / (1.0 + np.exp2(-total.to_numpy())), index=pairs, name="probability")
    out = pd.DataFrame(
        {"probability": probability, "match_weight": total.to_numpy()},
        index=pairs,
    )
    for col in weights:
        out[f"w_{col}"] = weights[col].to_numpy()
    out["decision"] = decide(probability, contrary, settings)
    out["contrary"] = contrary.to_numpy()
    stats["seconds_score"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    links = list(must_link)
    if existing_clusters is not None:
        existing = existing_clusters.dropna()
        ids = pd.Series(existing.index.to_numpy(np.int64), index=existing.index)
        first = ids.groupby(existing.to_numpy()).transform("min")
        links += [(int(a), int(b)) for a, b in first.items() if a != b]
    outcome = cluster_details(
        prepared.index,
        out,
        must_link=links,
        cannot_link=cannot_link,
        conflicts=ConflictChecker(prepared, national_ids=settings.national_id_conflicts),
        settings=settings,
    )
    out["refused"] = ""
    if outcome.refused:
        refused = pd.Series(outcome.refused)
        refused.index = refused.index.set_names(["id_a", "id_b"])
        hit = out.index.isin(refused.index)
        out.loc[hit, "refused"] = refused.reindex(out.index[hit]).to_numpy()
        out.loc[hit, "decision"] = "review"
    stats["seconds_cluster"] = round(time.perf_counter() - t, 3)
    stats["auto_linked"] = int((out["decision"] == "link").sum())
    stats["to_review"] = int((out["decision"] == "review").sum())
    stats["refused_joins"] = len(outcome.refused)
    stats["clusters"] = int(outcome.labels.nunique())
    stats["seconds_total"] = round(
        sum(v for k, v in stats.items() if k.startswith("seconds_") and k != "seconds_total"), 3
    )
    return ResolveResult(pairs=out, clusters=outcome.labels, model=model, stats=stats, levels=levels)
