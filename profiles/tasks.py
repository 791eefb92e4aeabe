"""django-q2 entry points: thin, take ids, call one service."""

from profiles.models import MatchRun
from profiles.services.change_publishing import change_publication_catch_up
from profiles.services.golden import golden_records_recompute_all
from profiles.services.resolution import match_run_claim, match_run_execute


def resolve_task(run_id: int) -> str:
    """Execute a queued match run, unless the `resolve` command already took it over."""
    if not match_run_claim(run_id=run_id):
        return f"run {run_id} was not queued any more"
    run = match_run_execute(run=MatchRun.objects.get(pk=run_id))
    return f"run {run_id} {run.status}"


def golden_recompute_task(requested_by: str) -> str:
    """Recompute every golden record after a survivorship rule changed."""
    figures = golden_records_recompute_all(actor=f"task:golden-recompute ({requested_by})")
    return f"{figures['customers']} golden records recomputed, {figures['changed']} changed"


def change_publication_catch_up_task() -> str:
    """Republish to webhooks the changes a crash between commit and publish may have lost."""
    return str(change_publication_catch_up())
