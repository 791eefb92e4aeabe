"""django-q2 entry points of connectors: thin, call one service."""

from connectors.services.webhooks import webhook_deliveries_deliver_due, webhook_subscription_deliver


def webhook_deliver_task(subscription_id: int) -> str:
    """Send one subscription's due deliveries in order (queued after the events' commit)."""
    counts = webhook_subscription_deliver(subscription_id=subscription_id)
    return "webhooks: {delivered} delivered, {failed} to retry, {dead} dead, {busy} busy".format(**counts.as_dict())


def webhook_deliver_due_task() -> str:
    """Retry every due delivery (scheduled every minute: `webhooks.DELIVER_DUE_SCHEDULE`)."""
    counts = webhook_deliveries_deliver_due()
    return "webhooks: {delivered} delivered, {failed} to retry, {dead} dead, {busy} busy".format(**counts.as_dict())
