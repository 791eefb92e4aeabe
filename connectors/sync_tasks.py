"""django-q2 entry points of the connectors' pulls: thin, call one service."""

from connectors.pull.sync import sources_sync_due

SYNC_ACTOR = "task:sync"


def sync_due_task() -> str:
    """Pull every source whose sync is due (scheduled every minute, `connectors.pull.schedules`)."""
    results = sources_sync_due(actor=SYNC_ACTOR)
    failed = [r.source for r in results if r.error]
    return f"synced {len(results)} source(s), {len(failed)} failed" + (f": {', '.join(failed)}" if failed else "")
