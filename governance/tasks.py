"""django-q2 entry points: thin, call one service."""

from governance.services.policies import policies_evaluate

HEALTH_CHECK_ACTOR = "task:health_check"


def health_check_task() -> str:
    """Recompute integration health and policies: open findings on breaches, resolve cleared ones.

    Scheduled every few minutes (`governance.constants.HEALTH_CHECK_SCHEDULE`).
    """
    counts = policies_evaluate(actor=HEALTH_CHECK_ACTOR).counts()
    return f"findings: {counts['opened']} opened, {counts['kept']} still open, {counts['resolved']} resolved"
