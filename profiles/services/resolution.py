"""Identity resolution runs: load records, call the matching engine, apply the result atomically.

The engine (`profiles/matching`) works on DataFrames and knows nothing of the database; this
module decides what to load (everything for a full run; for an incremental run the new and
changed records with everything that shares a blocking key with them and the whole golden
records those touch), which model scores the pairs, and how clusters become golden records
with stable ids. Everything a run changes is written in one transaction, so a crash or a kill
leaves the previous golden records as they were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from connectors.models import SourceRecord
from mdm.bulk import bulk_update_by_pk
from profiles import matching
from profiles.choices import (
    ChangeKind,
    ConstraintKind,
    CustomerEventKind,
    CustomerStatus,
    ModelKind,
    PairStatus,
    RunMode,
    RunStatus,
)
from profiles.models import (
    Customer,
    CustomerEvent,
    LinkConstraint,
    MatchModel,
    MatchPair,
    MatchRun,
    ResolutionSettings,
)
from profiles.selectors import records_frame, resolution_scope
from profiles.services.changes import RECORDS_FIELD, Change
from profiles.services.golden import golden_records_recompute
from profiles.services.golden_ids import IdPlan, plan_golden_ids

logger = logging.getLogger(__name__)
CHUNK = 5000
# Above this many pending records an incremental run reads the whole frame instead of
# looking candidates up key by key in the database.
DB_SCOPE_LIMIT = 2000


class RunAlreadyActive(Exception):
    """Another match run is queued or running."""


@dataclass
class Loaded:
    frame: pd.DataFrame
    loaded_at: object
    scope_ids: list[int] | None  # None: every active record


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def match_run_start(*, mode: str, actor: str) -> MatchRun:
    """Create a queued run, refusing while another one is queued or running."""
    try:
        with transaction.atomic():
            return MatchRun.objects.create(mode=mode, actor=actor, status=RunStatus.QUEUED, is_active=True)
    except IntegrityError:
        active = MatchRun.objects.filter(is_active=True).first()
        detail = f"run {active.pk} ({active.get_mode_display().lower()}, {active.status}, by {active.actor})"
        raise RunAlreadyActive(f"another match run is in progress: {detail}; wait for it to finish") from None


def match_run_claim(*, run_id: int) -> bool:
    """Move a queued run to running; False if someone else (a worker, the command) already has it."""
    return bool(
        MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now(), stage="starting"
        )
    )


def _progress(run: MatchRun, stage: str, percent: int) -> None:
    run.stage, run.progress = stage, percent
    MatchRun.objects.filter(pk=run.pk).update(stage=stage, progress=percent)


def match_run_execute(*, run: MatchRun) -> MatchRun:
    """Run a claimed match run to the end; failures are recorded on the run, never half-applied."""
    started = time.perf_counter()
    try:
        _execute(run)
    except Exception as exc:  # the run must end marked failed whatever went wrong
        logger.exception("match run %s failed", run.pk)
        MatchRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, is_active=False, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"
        )
    run.refresh_from_db()
    run.timings = {**run.timings, "total": round(time.perf_counter() - started, 3)}
    MatchRun.objects.filter(pk=run.pk).update(timings=run.timings)
    return run


def _active_model() -> MatchModel | None:
    # The parameters (with name-frequency tables) are read only when this process has not built
    # the model yet: see _engine_model.
    return MatchModel.objects.filter(is_active=True).defer("parameters").first()


_ENGINE_MODELS: dict[int, object] = {}


def _engine_model(stored: MatchModel | None):  # noqa: ANN202 - an engine model
    """The engine's model for a stored one; stored parameters never change, so each is built once
    per process (its name-frequency tables make that worth saving on every real-time call)."""
    if stored is None:
        return None
    if stored.pk not in _ENGINE_MODELS:
        _ENGINE_MODELS.clear()
        _ENGINE_MODELS[stored.pk] = matching.model_from_dict(stored.parameters)
    return _ENGINE_MODELS[stored.pk]


def _load_scope(pending: list[int], loaded_at: object) -> Loaded:
    """Pending records with what an incremental run must see beside them, looked up by key in
    the database (few records) or through the engine's blocking over everything (many)."""
    active = SourceRecord.objects.filter(is_deleted=False)
    if not pending:
        return Loaded(records_frame(active.none()), loaded_at, [])
    if len(pending) <= DB_SCOPE_LIMIT:
        scope: set[int] = set()
        for chunk in _chunks(pending, 100):
            scope.update(resolution_scope(chunk).values_list("pk", flat=True))
        ids = sorted(scope)
        frame = records_frame(active.filter(pk__in=ids)) if len(ids) < 50_000 else records_frame(active).loc[ids]
        return Loaded(frame, loaded_at, ids)
    everything = records_frame(active)
    prepared = matching.prepare(everything.drop(columns=["customer_id", "pending"]))
    partners = matching.candidate_pairs(prepared, focus=pd.Index(pending), settings=_settings())
    touched = set(pending) | set(partners.get_level_values(0)) | set(partners.get_level_values(1))
    customers = everything.loc[sorted(touched), "customer_id"].dropna().unique()
    in_scope = everything.index.isin(sorted(touched)) | everything["customer_id"].isin(customers)
    frame = everything[in_scope]
    return Loaded(frame, loaded_at, frame.index.tolist())


def _load(run: MatchRun) -> Loaded:
    loaded_at = timezone.now()
    active = SourceRecord.objects.filter(is_deleted=False)
    if run.mode == RunMode.FULL:
        return Loaded(records_frame(active), loaded_at, None)
    pending = list(active.filter(pending_resolution=True).values_list("pk", flat=True))
    return _load_scope(pending, loaded_at)


def _constraints(ids: list[int] | None) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    constraints = LinkConstraint.objects.all()
    if ids is not None:
        wanted = set(ids)
        rows = [c for c in constraints.values_list("record_a_id", "record_b_id", "kind") if c[0] in wanted]
        rows = [c for c in rows if c[1] in wanted]
    else:
        rows = list(constraints.values_list("record_a_id", "record_b_id", "kind"))
    must = [(a, b) for a, b, kind in rows if kind == ConstraintKind.MUST_LINK]
    cannot = [(a, b) for a, b, kind in rows if kind == ConstraintKind.CANNOT_LINK]
    return must, cannot


def _settings() -> matching.MatchSettings:
    stored = ResolutionSettings.current()
    return matching.MatchSettings(
        auto_link_threshold=stored.auto_link_threshold, review_threshold=stored.review_threshold
    )


@dataclass
class Resolved:
    result: matching.ResolveResult | None
    stored_model: MatchModel | None
    refit: bool


def _resolve(loaded: Loaded, *, full: bool) -> Resolved:
    """Run the engine over a loaded scope with the active model (a full run refits EM unless a
    supervised model trained on steward decisions is active)."""
    frame = loaded.frame
    stored_model = _active_model()
    refit = stored_model is None or (full and stored_model.kind == ModelKind.FELLEGI_SUNTER)
    if not len(frame):
        return Resolved(None, stored_model, False)
    must, cannot = _constraints(loaded.scope_ids)
    # An incremental run keeps existing golden records together and scores only the pairs of
    # new and changed records; a full run re-clusters everything.
    incremental = loaded.scope_ids is not None and not refit
    result = matching.resolve(
        frame.drop(columns=["customer_id", "pending"]),
        settings=_settings(),
        model=None if refit else _engine_model(stored_model),
        must_link=must,
        cannot_link=cannot,
        focus=frame.index[frame["pending"]] if incremental else None,
        existing_clusters=frame.loc[~frame["pending"], "customer_id"] if incremental else None,
    )
    return Resolved(result, stored_model, refit)


def _model_to_use(resolved: Resolved) -> MatchModel | None:
    """The stored model of this resolution: a newly fitted one becomes the active model."""
    if resolved.result is None or not resolved.refit:
        return resolved.stored_model
    MatchModel.objects.filter(is_active=True).update(is_active=False)
    return MatchModel.objects.create(
        kind=ModelKind.FELLEGI_SUNTER,
        parameters=resolved.result.model.to_dict(),
        trained_on=int(resolved.result.stats.get("candidate_pairs", 0)),
        is_active=True,
    )


def _execute(run: MatchRun) -> None:
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    _progress(run, "loading records", 5)
    loaded = _load(run)
    timings["load"] = round(time.perf_counter() - clock, 3)
    _progress(run, "matching", 20)
    clock = time.perf_counter()
    resolved = _resolve(loaded, full=run.mode == RunMode.FULL)
    timings["match"] = round(time.perf_counter() - clock, 3)
    _progress(run, "applying", 80)
    clock = time.perf_counter()
    with transaction.atomic():
        model = _model_to_use(resolved)
        counts = _apply(run, loaded, resolved.result, model, actor=f"run:{run.pk}") if resolved.result else {}
        _finish(run, loaded, resolved.result, model, counts)
    timings["apply"] = round(time.perf_counter() - clock, 3)
    MatchRun.objects.filter(pk=run.pk).update(timings={**timings, **_engine_timings(resolved.result)})


def records_resolve_now(*, record_ids: list[int], actor: str) -> dict[int, int]:
    """Real-time resolution of a few new or changed records against the stored data.

    Candidates are found through indexed match keys, not by loading everything; the result is
    applied in the caller's transaction. Returns record id -> golden record id.
    """
    loaded = _load_scope(sorted(set(record_ids)), timezone.now())
    # The records asked for are resolved now whatever their flag says (an API upsert of an
    # unchanged record still wants its golden id).
    loaded.frame.loc[loaded.frame.index.isin(record_ids), "pending"] = True
    resolved = _resolve(loaded, full=False)
    if resolved.result is None:
        return {}
    with transaction.atomic():
        model = _model_to_use(resolved)
        _apply(None, loaded, resolved.result, model, actor=actor)
    return dict(SourceRecord.objects.filter(pk__in=record_ids, customer__isnull=False).values_list("pk", "customer_id"))


def _engine_timings(result) -> dict[str, float]:  # noqa: ANN001
    if result is None:
        return {}
    return {k.replace("seconds_", "engine_"): v for k, v in result.stats.items() if k.startswith("seconds_")}


def _apply(
    run: MatchRun | None,
    loaded: Loaded,
    result: matching.ResolveResult,
    model: MatchModel | None,
    *,
    actor: str,
) -> dict[str, int]:
    """Turn clusters into golden records with stable ids, in the caller's transaction."""
    frame = loaded.frame
    clusters: pd.Series = result.clusters.reindex(frame.index)
    previous: pd.Series = frame["customer_id"]
    plan = plan_golden_ids(clusters, previous)
    new_customers = Customer.objects.bulk_create([Customer() for _ in plan.new_clusters], batch_size=2000)
    label_to_customer = dict(plan.keeps)
    label_to_customer.update({label: c.pk for label, c in zip(plan.new_clusters, new_customers, strict=True)})
    target = clusters.map(label_to_customer).astype("int64")
    moved = target[previous.isna() | (previous != target)]
    bulk_update_by_pk(SourceRecord, ["customer"], [(int(pk), int(customer)) for pk, customer in moved.items()])
    ids = frame.index.tolist()
    for chunk in _chunks(ids):
        SourceRecord.objects.filter(pk__in=chunk, received_at__lte=loaded.loaded_at).update(pending_resolution=False)

    members = pd.Series(clusters.index, index=clusters.to_numpy()).groupby(level=0).agg(list)
    events = _retire_merged(plan, label_to_customer, members, previous, actor=actor, run=run)
    split_from = {label: customer for customer, labels in plan.splits.items() for label in labels}
    for label, customer in zip(plan.new_clusters, new_customers, strict=True):
        parameters: dict[str, object] = {"records": members[label][:50]}
        if label in split_from:
            parameters["split_from"] = split_from[label]
        events.append(
            CustomerEvent(
                customer=customer, kind=CustomerEventKind.CREATED, parameters=parameters, actor=actor, run=run
            )
        )
    for customer, labels in plan.splits.items():
        into = [label_to_customer[label] for label in labels]
        moved_records = [r for label in labels for r in members[label] if previous.get(r) == customer]
        events.append(
            CustomerEvent(
                customer_id=customer,
                kind=CustomerEventKind.SPLIT,
                parameters={"into": into, "records": moved_records[:50]},
                actor=actor,
                run=run,
            )
        )
    CustomerEvent.objects.bulk_create(events, batch_size=2000)
    pairs_kept = _store_pairs(run, loaded, result.pairs, model)
    intents = _change_intents(plan, label_to_customer, new_customers, moved, previous)
    if loaded.scope_ids is None:
        # A full run recomputes every golden record, so rule or trust changes reach them all.
        recompute = set(label_to_customer.values())
    else:
        # Otherwise only the golden records whose records moved or changed.
        pending = frame["pending"].to_numpy()
        recompute = set(target[pending].tolist()) | set(previous[pending].dropna().astype("int64").tolist())
    # Last: the change log serialises its writers until this transaction commits.
    golden_records_recompute(customer_ids=recompute, actor=actor, intents=intents)
    return {
        "created": len(plan.new_clusters) - len(split_from),
        "merged": len(plan.merges),
        "split": len(plan.splits),
        **pairs_kept,
    }


def _change_intents(
    plan: IdPlan,
    label_to_customer: dict[int, int],
    new_customers: list[Customer],
    moved: pd.Series,
    previous: pd.Series,
) -> dict[int, Change]:
    """The change-log entries a run owes whatever the values do: created, merged, split, and
    updated for golden records that gained or lost records."""
    intents: dict[int, Change] = {}
    for customer in new_customers:
        intents[customer.pk] = Change(customer.pk, ChangeKind.CREATED, changed_fields=[RECORDS_FIELD])
    for customer, label in plan.merges.items():
        intents[customer] = Change(customer, ChangeKind.MERGED, survivor_id=label_to_customer[label])
    for customer in plan.splits:
        intents[customer] = Change(customer, ChangeKind.SPLIT, changed_fields=[RECORDS_FIELD])
    touched = set(moved.tolist()) | set(previous.reindex(moved.index).dropna().astype("int64").tolist())
    for customer in touched - set(intents):
        intents[customer] = Change(customer, ChangeKind.UPDATED, changed_fields=[RECORDS_FIELD])
    return intents


def _retire_merged(
    plan: IdPlan,
    label_to_customer: dict[int, int],
    members: pd.Series,
    previous: pd.Series,
    *,
    actor: str,
    run: MatchRun | None,
) -> list[CustomerEvent]:
    """Retire the golden records that were merged away, each redirecting to its survivor, and
    say so on both sides with the records that moved (the evidence is in the run's pairs)."""
    events = []
    absorbed: dict[int, list[int]] = {}
    now = timezone.now()
    for customer, label in plan.merges.items():
        into = label_to_customer[label]
        Customer.objects.filter(pk=customer).update(status=CustomerStatus.RETIRED, merged_into=into, updated_at=now)
        # Older redirects to the retired id now point straight at the survivor: no chains.
        Customer.objects.filter(merged_into=customer).update(merged_into=into)
        moved_records = [r for r in members[label] if previous.get(r) == customer]
        events.append(
            CustomerEvent(
                customer_id=customer,
                kind=CustomerEventKind.MERGED,
                parameters={"into": into, "records": moved_records[:50]},
                actor=actor,
                run=run,
            )
        )
        absorbed.setdefault(into, []).append(customer)
    events += [
        CustomerEvent(
            customer_id=into, kind=CustomerEventKind.ABSORBED, parameters={"from": sorted(old)}, actor=actor, run=run
        )
        for into, old in absorbed.items()
    ]
    return events


WEIGHT_PREFIX = "w_"  # the engine's per-field weight columns


def _weight_columns(pairs: pd.DataFrame) -> list[str]:
    return [c for c in pairs.columns if c.startswith(WEIGHT_PREFIX)]


def _store_pairs(run: MatchRun | None, loaded: Loaded, pairs: pd.DataFrame, model: MatchModel | None) -> dict[str, int]:
    """Replace the undecided pairs among these records with this run's linked and review pairs."""
    undecided = MatchPair.objects.exclude(status=PairStatus.DECIDED)
    if loaded.scope_ids is None:
        undecided.delete()
    else:
        for chunk in _chunks(loaded.scope_ids):
            undecided.filter(Q(record_a_id__in=chunk) | Q(record_b_id__in=chunk)).delete()
    keep = pairs[pairs["decision"].isin(["link", "review"])]
    weight_columns = _weight_columns(keep)
    names = [c[len(WEIGHT_PREFIX) :] for c in weight_columns]
    rows = []
    a_ids, b_ids = keep.index.get_level_values(0), keep.index.get_level_values(1)
    weights = keep[weight_columns].to_numpy(dtype=float) if weight_columns else np.zeros((len(keep), 0))
    for i, (a, b, probability, total, decision, contrary) in enumerate(
        zip(a_ids, b_ids, keep["probability"], keep["match_weight"], keep["decision"], keep["contrary"], strict=True)
    ):
        low, high = (int(a), int(b)) if a < b else (int(b), int(a))
        rows.append(
            MatchPair(
                record_a_id=low,
                record_b_id=high,
                probability=float(probability),
                match_weight=float(total),
                weights={n: round(float(w), 3) for n, w in zip(names, weights[i], strict=True)},
                contrary=bool(contrary),
                status=PairStatus.LINKED if decision == "link" else PairStatus.REVIEW,
                run=run,
                model=model,
            )
        )
    MatchPair.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return {"linked": int((keep["decision"] == "link").sum()), "review": int((keep["decision"] == "review").sum())}


def _histogram(result) -> list[int]:  # noqa: ANN001
    if result is None or not len(result.pairs):
        return [0] * 20
    counts, _ = np.histogram(result.pairs["probability"].to_numpy(dtype=float), bins=20, range=(0.0, 1.0))
    return counts.tolist()


def _finish(run: MatchRun, loaded: Loaded, result, model, counts: dict[str, int]) -> None:  # noqa: ANN001
    stats = result.stats if result is not None else {}
    MatchRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED,
        is_active=False,
        stage="done",
        progress=100,
        finished_at=timezone.now(),
        model=model,
        records=len(loaded.frame),
        candidate_pairs=int(stats.get("candidate_pairs", 0)),
        auto_linked=counts.get("linked", 0),
        to_review=counts.get("review", 0),
        golden_records=Customer.objects.filter(status=CustomerStatus.ACTIVE).count(),
        created_customers=counts.get("created", 0),
        merged_customers=counts.get("merged", 0),
        split_customers=counts.get("split", 0),
        figures={
            "score_histogram": _histogram(result),
            "clusters_in_scope": int(result.clusters.nunique()) if result is not None else 0,
        },
    )


def resolve_now(
    *, mode: str = RunMode.INCREMENTAL, actor: str, on_start: Callable[[MatchRun], None] | None = None
) -> MatchRun:
    """Start, claim and execute a run in this process (`resolve --sync`, tests, the demo)."""
    run = match_run_start(mode=mode, actor=actor)
    match_run_claim(run_id=run.pk)
    if on_start:
        on_start(run)
    return match_run_execute(run=run)
