"""The review queue's writes: decisions one by one or in bulk, assignment, comments, and the
automatic retraining that steward decisions feed.

Every decision goes through `decisions.match_pair_decide` (a must-link or cannot-link that later
runs respect); these services add what the queue needs around it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from profiles.choices import Decision, PairStatus
from profiles.models import MatchPair, MatchPairComment, ResolutionSettings
from profiles.roles import STEWARD, user_has_role
from profiles.services.decisions import match_pair_decide

BULK_LIMIT = 500


def _retrain_after_commit(*, actor: str) -> None:
    """After enough new decisions, retrain in the background once this transaction commits."""
    if not ResolutionSettings.current().retrain_after_decisions:
        return

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task(
            "profiles.services.decisions.supervised_model_retrain_if_due",
            actor=f"task:retrain ({actor})",
            task_name="supervised-retrain",
        )

    transaction.on_commit(enqueue)


def match_pair_review_decide(*, pair: MatchPair, decision: str, actor: str, comment: str = "") -> MatchPair:
    """One steward verdict from the queue: the pair must still wait for review (a second click or a
    colleague's decision in between is refused, not applied twice); a comment is kept with it."""
    if decision not in Decision.values:
        raise ValidationError(f"decision must be one of {', '.join(Decision.values)}, not {decision!r}")
    with transaction.atomic():
        locked = MatchPair.objects.select_for_update().filter(pk=pair.pk).first()
        if locked is None or locked.status != PairStatus.REVIEW:
            raise ValidationError(f"pair {pair.pk} is no longer waiting for review")
        decided = match_pair_decide(pair=locked, decision=decision, actor=actor, comment=comment)
        if comment.strip():
            MatchPairComment.objects.create(pair=locked, author=actor, text=f"[{decision}] {comment.strip()}")
        _retrain_after_commit(actor=actor)
    return decided


def match_pairs_decide(*, pairs: Iterable[MatchPair], decision: str, actor: str, comment: str = "") -> int:
    """The same verdict on many pairs at once (a filtered or ticked set), all or nothing.
    Pairs that no longer wait for review are left alone; returns how many were decided."""
    if decision not in Decision.values:
        raise ValidationError(f"decision must be one of {', '.join(Decision.values)}, not {decision!r}")
    ids = [p.pk for p in pairs]
    if len(ids) > BULK_LIMIT:
        raise ValidationError(f"at most {BULK_LIMIT} pairs at once, not {len(ids)}: narrow the filter")
    with transaction.atomic():
        waiting = list(MatchPair.objects.select_for_update().filter(pk__in=ids, status=PairStatus.REVIEW))
        for pair in waiting:
            match_pair_decide(pair=pair, decision=decision, actor=actor, comment=comment)
        if waiting and comment.strip():
            MatchPairComment.objects.bulk_create(
                MatchPairComment(pair=p, author=actor, text=f"[bulk {decision}] {comment.strip()}") for p in waiting
            )
        if waiting:
            _retrain_after_commit(actor=actor)
    return len(waiting)


def match_pairs_assign(*, pairs: Iterable[MatchPair], assignee: AbstractBaseUser | None, actor: str) -> int:
    """Assign pairs to a steward (None: unassign). Only stewards can be given pairs to decide."""
    if assignee is not None and not user_has_role(assignee, STEWARD):
        raise ValidationError(f"{assignee.get_username()} is not a steward and cannot decide pairs")
    ids = [p.pk for p in pairs]
    if len(ids) > BULK_LIMIT:
        raise ValidationError(f"at most {BULK_LIMIT} pairs at once, not {len(ids)}: narrow the filter")
    with transaction.atomic():
        return MatchPair.objects.filter(pk__in=ids, status=PairStatus.REVIEW).update(assigned_to=assignee)


def match_pair_comment_add(*, pair: MatchPair, author: str, text: str) -> MatchPairComment:
    text = text.strip()
    if not text:
        raise ValidationError("a comment needs some text")
    comment = MatchPairComment(pair=pair, author=author, text=text)
    comment.full_clean()
    with transaction.atomic():
        comment.save()
    return comment


def resolution_settings_update(
    *, auto_link_threshold: float, review_threshold: float, retrain_after_decisions: int, actor: str
) -> ResolutionSettings:
    """New thresholds for the next runs (stored pairs are re-decided when their records are next resolved)."""
    with transaction.atomic():
        settings = ResolutionSettings.objects.select_for_update().get(pk=ResolutionSettings.current().pk)
        settings.auto_link_threshold = auto_link_threshold
        settings.review_threshold = review_threshold
        settings.retrain_after_decisions = retrain_after_decisions
        settings.full_clean()
        settings.save()
    return settings
