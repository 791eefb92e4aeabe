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


def supervised_model_train(*, minimum: int | None = None) -> MatchModel:
    """Train logistic regression on the steward-decided pairs and make it the active model."""
    decided = list(
        MatchPair.objects.filter(status=PairStatus.DECIDED).values_list("record_a_id", "record_b_id", "decision")
    )
    needed = ResolutionSettings.current().min_decisions_for_supervised if minimum is None else minimum
    if len(decided) < needed:
        raise NotEnoughDecisions(f"{len(decided)} decisions so far; {needed} are needed to train a model")
    ids = sorted({r for a, b, _ in decided for r in (a, b)})
    frame = records_frame(SourceRecord.objects.filter(pk__in=ids)).drop(columns=["customer_id", "pending"])
    pairs = pd.MultiIndex.from_tuples(
        [(a, b) for a, b, _ in decided if a in frame.index and b in frame.index], names=["id_a", "id_b"]
    )
    labels = pd.Series(
        [d == Decision.MATCH for a, b, d in decided if a in frame.index and b in frame.index], index=pairs
    )
    levels = matching.compare(matching.prepare(frame), pairs)
    try:
        model = matching.SupervisedModel.fit(levels, labels)
    except ValueError as exc:
        raise NotEnoughDecisions(str(exc)) from exc
    with transaction.atomic():
        MatchModel.objects.filter(is_active=True).update(is_active=False)
        return MatchModel.objects.create(
            kind=ModelKind.SUPERVISED,
            parameters=model.to_dict(),
            trained_on=len(pairs),
            metrics={"matches": int(labels.sum()), "non_matches": int((~labels).sum())},
            is_active=True,
        )
