"""Steward decisions on match pairs, and the supervised model trained from them.

A decision is a hard constraint: *match* becomes a must-link, *no-match* a cannot-link, which
every later run (full ones included) respects. Both records are marked pending so that the
next incremental run applies the decision to the golden records.
"""

from __future__ import annotations

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from connectors.models import SourceRecord
from profiles import matching
from profiles.choices import ConstraintKind, Decision, ModelKind, PairStatus
from profiles.models import LinkConstraint, MatchModel, MatchPair, ResolutionSettings
from profiles.selectors import records_frame


def link_constraint_set(
    *, record_a_id: int, record_b_id: int, kind: str, actor: str, reason: str = ""
) -> LinkConstraint:
    """Record (or replace) the must-link / cannot-link between two source records."""
    if record_a_id == record_b_id:
        raise ValidationError("a record cannot be constrained against itself")
    low, high = sorted((record_a_id, record_b_id))
    with transaction.atomic():
        constraint, _ = LinkConstraint.objects.update_or_create(
            record_a_id=low, record_b_id=high, defaults={"kind": kind, "actor": actor, "reason": reason[:500]}
        )
        SourceRecord.objects.filter(pk__in=(low, high)).update(pending_resolution=True)
    return constraint


def match_pair_decide(*, pair: MatchPair, decision: str, actor: str, comment: str = "") -> MatchPair:
    """A steward's verdict on a pair: stored on the pair and turned into a constraint."""
    if decision not in Decision.values:
        raise ValidationError(f"decision must be one of {', '.join(Decision.values)}, not {decision!r}")
    kind = ConstraintKind.MUST_LINK if decision == Decision.MATCH else ConstraintKind.CANNOT_LINK
    with transaction.atomic():
        pair.status = PairStatus.DECIDED
        pair.decision = decision
        pair.decided_by = actor
        pair.decided_at = timezone.now()
        pair.save(update_fields=["status", "decision", "decided_by", "decided_at", "updated_at"])
        link_constraint_set(
            record_a_id=pair.record_a_id, record_b_id=pair.record_b_id, kind=kind, actor=actor, reason=comment
        )
    return pair


class NotEnoughDecisions(Exception):
    """Too few steward decisions (or only one kind) to train a supervised model."""


# Every HOLDOUT_EVERY-th decision (by pair id, so the split is stable between trainings) is kept
# out of training and used to estimate precision and recall of the new and the current model.
HOLDOUT_EVERY = 5


def _held_out(pair_id: int) -> bool:
    return pair_id % HOLDOUT_EVERY == 0


# Models are compared as classifiers: a pair is called a match when it is more likely than not.
# (Judging at the auto-link threshold would penalise a young, cautiously calibrated model for
# sending pairs to review, which is what that band is for.)
CLASSIFICATION_THRESHOLD = 0.5


def _scores(probabilities: pd.Series, labels: pd.Series, threshold: float) -> dict[str, float | int]:
    """Precision, recall and F1 of "called a match" (probability ≥ threshold) against the
    stewards' verdicts."""
    predicted = probabilities.reindex(labels.index).fillna(0.0) >= threshold
    truth = labels.astype(bool)
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    fn = int((~predicted & truth).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(labels),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "threshold": threshold,
    }


def supervised_model_train(*, minimum: int | None = None, actor: str = "") -> MatchModel:
    """Train logistic regression on the steward-decided pairs, estimate its precision and recall on
    held-out decisions next to the active model's, and make it the active model unless it is worse.

    The new model is always stored (with both figures in `metrics`), so a refused model can be
    inspected; `metrics["activated"]` and `metrics["verdict"]` say what happened and why."""
    decided = list(
        MatchPair.objects.filter(status=PairStatus.DECIDED)
        .order_by("id")
        .values_list("id", "record_a_id", "record_b_id", "decision")
    )
    settings = ResolutionSettings.current()
    needed = settings.min_decisions_for_supervised if minimum is None else minimum
    if len(decided) < needed:
        raise NotEnoughDecisions(f"{len(decided)} decisions so far; {needed} are needed to train a model")
    ids = sorted({r for _, a, b, _ in decided for r in (a, b)})
    frame = records_frame(SourceRecord.objects.filter(pk__in=ids)).drop(columns=["customer_id", "pending"])
    usable = [(pk, a, b, d) for pk, a, b, d in decided if a in frame.index and b in frame.index]
    pairs = pd.MultiIndex.from_tuples([(a, b) for _, a, b, _ in usable], names=["id_a", "id_b"])
    labels = pd.Series([d == Decision.MATCH for *_, d in usable], index=pairs)
    held = pd.Series([_held_out(pk) for pk, *_ in usable], index=pairs, dtype=bool)
    if held.all() or not held.any():
        held[:] = False  # too few decisions to hold any out: train on all, evaluate on all
    prepared = matching.prepare(frame)
    levels = matching.compare(prepared, pairs)
    train = ~held.to_numpy()
    try:
        model = matching.SupervisedModel.fit(levels[train], labels[train])
    except ValueError as exc:
        raise NotEnoughDecisions(str(exc)) from exc
    test_mask = held.to_numpy() if held.any() else train
    test_levels, test_labels = levels[test_mask], labels[test_mask]
    threshold = CLASSIFICATION_THRESHOLD
    candidate = _scores(model.probability(test_levels), test_labels, threshold)
    current_row = MatchModel.objects.filter(is_active=True).first()
    current = None
    if current_row is not None:
        engine = matching.model_from_dict(current_row.parameters)
        tf = matching.tf_values(prepared, test_levels.index)
        current = {**_scores(engine.probability(test_levels, tf), test_labels, threshold), "model": current_row.pk}
    worse = current is not None and candidate["f1"] < current["f1"]
    verdict = (
        f"held-out F1 {candidate['f1']} < {current['f1']} of the active model #{current['model']}: not activated"
        if worse
        else "activated"
    )
    with transaction.atomic():
        if not worse:
            MatchModel.objects.filter(is_active=True).update(is_active=False)
        return MatchModel.objects.create(
            kind=ModelKind.SUPERVISED,
            parameters=model.to_dict(),
            trained_on=int(train.sum()),
            metrics={
                "matches": int(labels.sum()),
                "non_matches": int((~labels).sum()),
                "held_out": candidate,
                "previous": current,
                "activated": not worse,
                "verdict": verdict,
                "trained_by": actor,
            },
            is_active=not worse,
        )


def supervised_model_retrain_if_due(*, actor: str) -> MatchModel | None:
    """Retrain when `retrain_after_decisions` new decisions arrived since the last training (and
    enough decisions exist at all); None when not due or not possible yet."""
    from profiles.selectors import decisions_since_last_training

    settings = ResolutionSettings.current()
    every = settings.retrain_after_decisions
    if not every or decisions_since_last_training() < every:
        return None
    try:
        return supervised_model_train(actor=actor)
    except NotEnoughDecisions:
        return None
