"""Applying a source trust suggestion: the trust survivorship weighs the source's values by."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from connectors.models import SourceSystem
from governance.choices import ChangeAction
from governance.models import ObjectChange
from governance.selectors import source_scorecard, survivorship_figures, trust_suggestion
from governance.services.changes import object_change_record, object_snapshot


def _enqueue_recompute(actor: str) -> None:
    """Survivorship reads trust when it runs: recompute every golden record in the background."""
    from django_q.tasks import async_task

    async_task("profiles.tasks.golden_recompute_task", actor, task_name="golden-recompute")


def source_trust_apply(*, source: SourceSystem, expected: float, actor: str) -> ObjectChange | None:
    """Set the source's trust to the suggestion of now, recorded in the change log (before/after).

    `expected` is the suggestion the administrator saw; if the figures moved since, the suggestion
    is refused rather than applying a value nobody looked at. The golden records are recomputed
    after commit, so that survivorship uses the new trust. Note that the next `load_catalog`
    sets the trust declared in the file again: the catalog file remains the source of truth.
    """
    with transaction.atomic():
        source = SourceSystem.objects.select_for_update().get(pk=source.pk)
        suggestion = trust_suggestion(
            source=source, scorecard=source_scorecard(source=source), figures=survivorship_figures(source=source)
        )
        if suggestion.suggested is None:
            raise ValidationError(f"no trust suggestion for {source.code!r}: too few records to judge it")
        if abs(suggestion.suggested - expected) > 1e-9:
            raise ValidationError(
                f"the suggested trust of {source.code!r} is now {suggestion.suggested:.2f}, not {expected:.2f}: "
                "review the figures again"
            )
        if abs(source.trust - suggestion.suggested) < 1e-9:
            return None
        before = object_snapshot(source)
        source.trust = suggestion.suggested
        source.full_clean()
        source.save(update_fields=["trust", "updated_at"])
        change = object_change_record(instance=source, action=ChangeAction.UPDATE, before=before, actor=actor)
        transaction.on_commit(lambda: _enqueue_recompute(actor))
    return change
