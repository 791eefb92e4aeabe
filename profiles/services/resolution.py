"""Identity resolution runs: load records, call the matching engine, apply the result atomically.

The engine (`profiles/matching`) works on DataFrames and knows nothing of the database; this
module decides what to load (everything for a full run; for an incremental run the new and
changed records with everything that shares a blocking key with them and the whole golden
records those touch), which model scores the pairs, and how clusters become golden records
with stable ids. Everything a run changes is written in one transaction, so a crash or a kill
leaves the previous golden records as they were.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, Subquery
from django.utils import timezone

from connectors.models import SourceRecord
from mdm.bulk import bulk_update_by_pk, ids_in
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
    MatchPairComment,
    MatchRun,
    ResolutionSettings,
)
from profiles.selectors import records_frame, resolution_scope_members
from profiles.services.changes import RECORDS_FIELD, Change
from profiles.services.golden import golden_records_recompute
from profiles.services.golden_ids import IdPlan, plan_golden_ids
from profiles.services.relationships import is_landline
from profiles.services.run_locks import match_runs_reap, run_lock_release, run_lock_take

logger = logging.getLogger(__name__)
CHUNK = 5000
# Above this many pending records an incremental run reads the whole frame instead of
# looking candidates up key by key in the database.
DB_SCOPE_LIMIT = 2000
# Up to this many records in scope, the scope is read with one query listing its ids and golden
# records, and constraints are filtered in the database; above it, whole tables are read.
LISTED_SCOPE_LIMIT = 20_000
# Up to this many records and golden records found, the scope is read in one round trip.
SMALL_SCOPE = 2000
# Up to this many records are linked and marked resolved with one UPDATE … FROM (VALUES …).
SMALL_LINK = 200


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
    """Create a queued run, refusing while another one is queued or running (a run whose worker
    died is marked failed first: see services/run_locks.py)."""
    match_runs_reap()
    try:
        with transaction.atomic():
            return MatchRun.objects.create(mode=mode, actor=actor, status=RunStatus.QUEUED, is_active=True)
    except IntegrityError:
        active = MatchRun.objects.filter(is_active=True).first()
        detail = f"run {active.pk} ({active.get_mode_display().lower()}, {active.status}, by {active.actor})"
        raise RunAlreadyActive(f"another match run is in progress: {detail}; wait for it to finish") from None


def match_run_claim(*, run_id: int) -> bool:
    """Move a queued run to running; False if someone else (a worker, the command) already has it.

    The claimer holds the run's worker lock until `match_run_execute` ends, so that a dead worker's
    run can be told from a slow one."""
    if not run_lock_take(run_id):
        return False
    claimed = bool(
        MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now(), stage="starting"
        )
    )
    if not claimed:
        run_lock_release(run_id)
    return claimed


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
    finally:
        run_lock_release(run.pk)
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
        records: set[int] = set()
        customers: set[int] = set()
        # PostgreSQL reads any number in one statement (see resolution_scope_members).
        for chunk in _chunks(pending, len(pending) if connection.vendor == "postgresql" else 100):
            found, touched = resolution_scope_members(chunk)
            records |= found
            customers |= touched
        if len(records) + len(customers) <= LISTED_SCOPE_LIMIT:
            # The found records and every record of their golden records, read in one query.
            scope = ids_in("pk", sorted(records)) | ids_in("customer_id", sorted(customers))
            small = len(records) + len(customers) <= SMALL_SCOPE
            frame = records_frame(active.filter(scope), chunk_size=None if small else 50_000)
        else:
            everything = records_frame(active)
            frame = everything[everything.index.isin(records) | everything["customer_id"].isin(customers)]
        return Loaded(frame, loaded_at, frame.index.tolist())
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
    """Must-links and cannot-links among these records (all of them for None)."""
    constraints = LinkConstraint.objects.order_by().values_list("record_a_id", "record_b_id", "kind")
    if ids is not None and len(ids) <= LISTED_SCOPE_LIMIT:
        rows = list(constraints.filter(ids_in("record_a_id", ids), ids_in("record_b_id", ids)))
    elif ids is not None:
        wanted = set(ids)
        rows = [c for c in constraints if c[0] in wanted and c[1] in wanted]
    else:
        rows = list(constraints)
    must = [(a, b) for a, b, kind in rows if kind == ConstraintKind.MUST_LINK]
    cannot = [(a, b) for a, b, kind in rows if kind == ConstraintKind.CANNOT_LINK]
    return must, cannot


def _settings() -> matching.MatchSettings:
    stored = ResolutionSettings.current()
    return matching.MatchSettings(
        auto_link_threshold=stored.auto_link_threshold, review_threshold=stored.review_threshold
    )


def _settings_and_model() -> tuple[matching.MatchSettings, MatchModel | None]:
    """The engine settings and the active model (parameters unread, see _engine_model), read in
    one query once a model exists: a real-time resolution pays for every round trip."""
    thresholds = ResolutionSettings.objects.filter(pk=1)
    stored = (
        MatchModel.objects.filter(is_active=True)
        .defer("parameters")
        .annotate(
            auto_link=Subquery(thresholds.values("auto_link_threshold")[:1]),
            review=Subquery(thresholds.values("review_threshold")[:1]),
        )
        .first()
    )
    if stored is None or stored.auto_link is None or stored.review is None:
        return _settings(), stored
    return matching.MatchSettings(auto_link_threshold=stored.auto_link, review_threshold=stored.review), stored


@dataclass
class Resolved:
    result: matching.ResolveResult | None
    stored_model: MatchModel | None
    refit: bool


def _resolve(loaded: Loaded, *, full: bool) -> Resolved:
    """Run the engine over a loaded scope with the active model (a full run refits EM unless a
    supervised model trained on steward decisions is active)."""
    frame = loaded.frame
    settings, stored_model = _settings_and_model()
    refit = stored_model is None or (full and stored_model.kind == ModelKind.FELLEGI_SUNTER)
    if not len(frame):
        return Resolved(None, stored_model, False)
    must, cannot = _constraints(loaded.scope_ids)
    # An incremental run keeps existing golden records together and scores only the pairs of
    # new and changed records; a full run re-clusters everything.
    incremental = loaded.scope_ids is not None and not refit
    result = matching.resolve(
        frame.drop(columns=["customer_id", "pending"]),
        settings=settings,
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
        counts = _apply(run, loaded, resolved.result, model, actor=f"run:{run.pk}")[0] if resolved.result else {}
        _finish(run, loaded, resolved.result, model, counts)
    timings["apply"] = round(time.perf_counter() - clock, 3)
    MatchRun.objects.filter(pk=run.pk).update(timings={**timings, **_engine_timings(resolved.result)})


def records_resolve_now(*, record_ids: list[int], actor: str) -> dict[int, int]:
    """Real-time resolution of a few new or changed records against the stored data.

    Candidates are found through indexed match keys, not by loading everything; the result is
    applied in the caller's transaction (without a savepoint of its own: a failure fails the
    caller's write, as it should). Returns record id -> golden record id (deleted records and
    unknown ids are left out).
    """
    wanted = sorted(set(record_ids))
    loaded = _load_scope(wanted, timezone.now())
    # The records asked for are resolved now whatever their flag says (an API upsert of an
    # unchanged record still wants its golden id).
    loaded.frame.loc[loaded.frame.index.isin(wanted), "pending"] = True
    resolved = _resolve(loaded, full=False)
    if resolved.result is None:
        return {}
    with transaction.atomic(savepoint=False):
        model = _model_to_use(resolved)
        _, linked = _apply(None, loaded, resolved.result, model, actor=actor)
    return {pk: linked[pk] for pk in wanted if pk in linked}


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
) -> tuple[dict[str, int], dict[int, int]]:
    """Turn clusters into golden records with stable ids, in the caller's transaction.

    Returns the counts and record id -> golden record id for every record in scope."""
    frame = loaded.frame
    clusters: pd.Series = result.clusters.reindex(frame.index)
    previous: pd.Series = frame["customer_id"]
    plan = plan_golden_ids(clusters, previous)
    new_customers = Customer.objects.bulk_create([Customer() for _ in plan.new_clusters], batch_size=2000)
    label_to_customer = dict(plan.keeps)
    label_to_customer.update({label: c.pk for label, c in zip(plan.new_clusters, new_customers, strict=True)})
    # Plain Python over the records: a real-time resolution holds a handful, where pandas' fixed
    # costs would dominate, and a full run goes through each record once.
    record_ids: list[int] = frame.index.tolist()
    labels: list[int] = clusters.tolist()
    before: dict[int, float] = dict(zip(record_ids, previous.tolist(), strict=True))  # NaN: not linked before
    linked = {pk: label_to_customer[label] for pk, label in zip(record_ids, labels, strict=True)}
    moved = {pk: customer for pk, customer in linked.items() if before[pk] != customer}
    pending = [pk for pk, flag in zip(record_ids, frame["pending"].tolist(), strict=True) if flag]
    _link_records(moved, pending, loaded.loaded_at)

    members: dict[int, list[int]] = {}
    if plan.merges or plan.new_clusters or plan.splits:
        for pk, label in zip(record_ids, labels, strict=True):
            members.setdefault(label, []).append(pk)
    events = _retire_merged(plan, label_to_customer, members, before, actor=actor, run=run)
    split_from = {label: customer for customer, labels_cut in plan.splits.items() for label in labels_cut}
    for label, customer in zip(plan.new_clusters, new_customers, strict=True):
        parameters: dict[str, object] = {"records": members[label][:50]}
        if label in split_from:
            parameters["split_from"] = split_from[label]
        events.append(
            CustomerEvent(
                customer=customer, kind=CustomerEventKind.CREATED, parameters=parameters, actor=actor, run=run
            )
        )
    for customer, labels_cut in plan.splits.items():
        into = [label_to_customer[label] for label in labels_cut]
        moved_records = [r for label in labels_cut for r in members[label] if before.get(r) == customer]
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
    pairs_kept = _store_pairs(run, loaded, result.pairs, model, pending)
    intents = _change_intents(plan, label_to_customer, new_customers, moved, before)
    households_for: set[int] | None = None
    if loaded.scope_ids is None:
        # A full run recomputes every golden record, so rule or trust changes reach them all.
        recompute = set(label_to_customer.values())
    else:
        # Otherwise only the golden records whose records moved or changed.
        recompute = {linked[pk] for pk in pending} | {int(before[pk]) for pk in pending if before[pk] == before[pk]}
        households_for = _households_touched(frame, pending, moved, before, linked)
    # Last: the change log serialises its writers until this transaction commits.
    golden_records_recompute(customer_ids=recompute, actor=actor, intents=intents, households_for=households_for)
    counts = {
        "created": len(plan.new_clusters) - len(split_from),
        "merged": len(plan.merges),
        "split": len(plan.splits),
        **pairs_kept,
    }
    return counts, linked


def _link_records(moved: dict[int, int], pending: list[int], loaded_at: object) -> None:
    """Point the moved records at their golden records and mark the pending ones resolved, unless
    they were received again after the run loaded them (those stay pending for the next run).

    On PostgreSQL both in one statement: a few rows as VALUES, more as arrays (unnest)."""
    if not moved and not pending:
        return
    if connection.vendor == "postgresql":
        resolved = set(pending)
        rows = [(pk, moved.get(pk), pk in resolved) for pk in sorted(resolved | set(moved))]
        meta = SourceRecord._meta
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        customer, flag, received = (
            quote(meta.get_field(name).column) for name in ("customer", "pending_resolution", "received_at")
        )
        if len(rows) <= SMALL_LINK:
            source = f"(VALUES {', '.join(['(%s::bigint, %s::bigint, %s::boolean)'] * len(rows))})"
            params = [value for row in rows for value in row]
        else:
            source = "unnest(%s::bigint[], %s::bigint[], %s::boolean[])"
            params = [list(column) for column in zip(*rows, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS r SET {customer} = COALESCE(v.customer, r.{customer}), "
                f"{flag} = r.{flag} AND NOT (v.resolved AND r.{received} <= %s) "
                f"FROM {source} AS v(id, customer, resolved) WHERE r.{quote(meta.pk.column)} = v.id",
                [loaded_at, *params],
            )
        return
    bulk_update_by_pk(SourceRecord, ["customer"], sorted(moved.items()))
    for chunk in _chunks(pending):
        SourceRecord.objects.filter(ids_in("pk", chunk), pending_resolution=True, received_at__lte=loaded_at).update(
            pending_resolution=False
        )


def _households_touched(
    frame: pd.DataFrame, pending: list[int], moved: dict[int, int], before: dict[int, float], linked: dict[int, int]
) -> set[int]:
    """The golden records whose households an incremental application may change.

    A household is the golden records holding records that share a landline, street and postcode,
    so it changes only where such a record joins or leaves a golden record, or where a record
    changed (its keys before the change are unknown, so its golden records before and after
    count). A new record without those keys, joining a golden record, changes no household."""
    touched: set[int] = set()
    pending_set = set(pending)
    candidates = sorted(pending_set | set(moved))
    keys = frame.loc[candidates, ["phone_key", "street_key", "postcode_key"]].itertuples(index=True, name=None)
    for pk, phone, street, postcode in keys:
        old = before[pk]
        was_linked = old == old
        if (pk in pending_set and was_linked) or (phone and street and postcode and is_landline(phone)):
            touched.add(linked[pk])
            if was_linked:
                touched.add(int(old))
    return touched


def _change_intents(
    plan: IdPlan,
    label_to_customer: dict[int, int],
    new_customers: list[Customer],
    moved: dict[int, int],
    before: dict[int, float],
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
    touched = set(moved.values()) | {int(before[pk]) for pk in moved if before[pk] == before[pk]}
    for customer in touched - set(intents):
        intents[customer] = Change(customer, ChangeKind.UPDATED, changed_fields=[RECORDS_FIELD])
    return intents


def _retire_merged(
    plan: IdPlan,
    label_to_customer: dict[int, int],
    members: dict[int, list[int]],
    before: dict[int, float],
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
        moved_records = [r for r in members[label] if before.get(r) == customer]
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


def _store_pairs(
    run: MatchRun | None, loaded: Loaded, pairs: pd.DataFrame, model: MatchModel | None, pending: list[int]
) -> dict[str, int]:
    """Replace the undecided pairs this run scored again with its linked and review pairs: all of
    them in a full run; in an incremental one those of the pending records (the only ones scored:
    the other pairs, review items included, stay as they are)."""
    undecided = MatchPair.objects.exclude(status=PairStatus.DECIDED)
    if loaded.scope_ids is None:
        undecided.delete()
    else:
        for chunk in _chunks(pending):
            _pairs_delete(undecided.filter(ids_in("record_a_id", chunk) | ids_in("record_b_id", chunk)))
    keep = pairs[pairs["decision"].isin(["link", "review"])]
    weight_columns = _weight_columns(keep)
    names = [c[len(WEIGHT_PREFIX) :] for c in weight_columns]
    rows = []
    a_ids, b_ids = keep.index.get_level_values(0), keep.index.get_level_values(1)
    weights = keep[weight_columns].to_numpy(dtype=float) if weight_columns else np.zeros((len(keep), 0))
    for i, (a, b, probability, total, decision, contrary) in enumerate(
        zip(
            a_ids.tolist(),
            b_ids.tolist(),
            keep["probability"].tolist(),
            keep["match_weight"].tolist(),
            keep["decision"].tolist(),
            keep["contrary"].tolist(),
            strict=True,
        )
    ):
        low, high = (int(a), int(b)) if a < b else (int(b), int(a))
        rows.append(
            (
                low,
                high,
                float(probability),
                float(total),
                {n: round(float(w), 3) for n, w in zip(names, weights[i], strict=True)},
                bool(contrary),
                PairStatus.LINKED if decision == "link" else PairStatus.REVIEW,
            )
        )
    _pairs_insert(rows, run, model)
    return {"linked": int((keep["decision"] == "link").sum()), "review": int((keep["decision"] == "review").sum())}


PAIR_COLUMNS = ("record_a", "record_b", "probability", "match_weight", "weights", "contrary", "status")


def _pairs_insert(rows: list[tuple], run: MatchRun | None, model: MatchModel | None) -> None:
    """Insert new pairs (values for `PAIR_COLUMNS`), skipping those already stored (decided).

    On PostgreSQL one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING` per 5,000
    pairs: Django's bulk_create builds model instances and a statement with a placeholder per
    value, which costs about a second per thousand pairs of a real-time batch."""
    if connection.vendor != "postgresql":
        names = [MatchPair._meta.get_field(name).attname for name in PAIR_COLUMNS]
        MatchPair.objects.bulk_create(
            [MatchPair(**dict(zip(names, row, strict=True)), run=run, model=model) for row in rows],
            batch_size=2000,
            ignore_conflicts=True,
        )
        return
    quote = connection.ops.quote_name
    fields = [MatchPair._meta.get_field(name) for name in (*PAIR_COLUMNS, "decision", "decided_by")]
    extra = [MatchPair._meta.get_field(name) for name in ("run", "model", "updated_at")]
    columns = ", ".join(quote(f.column) for f in (*fields, *extra))
    arrays = ", ".join(f"%s::{'jsonb' if f.name == 'weights' else f.db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {quote(MatchPair._meta.db_table)} ({columns}) "
        f"SELECT *, %s::bigint, %s::bigint, %s::timestamptz FROM unnest({arrays}) "
        "ON CONFLICT DO NOTHING"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            values = [list(column) for column in zip(*chunk, strict=True)]
            values[4] = [json.dumps(w) for w in values[4]]
            empty = [""] * len(chunk)
            cursor.execute(sql, [run.pk if run else None, model.pk if model else None, now, *values, empty, empty])


def _pairs_delete(pairs: QuerySet[MatchPair]) -> None:
    """Delete these match pairs with the comments on them: on PostgreSQL in one statement, where
    Django's cascade reads the pairs first, then deletes comments and pairs (three round trips)."""
    if connection.vendor != "postgresql":
        pairs.delete()
        return
    quote = connection.ops.quote_name
    comment_pair = quote(MatchPairComment._meta.get_field("pair").column)
    selected, params = pairs.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH gone AS (DELETE FROM {quote(MatchPair._meta.db_table)} WHERE id IN ({selected}) RETURNING id) "
            f"DELETE FROM {quote(MatchPairComment._meta.db_table)} WHERE {comment_pair} IN (SELECT id FROM gone)",
            params,
        )


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
