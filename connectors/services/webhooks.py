"""Webhooks: golden-record change events POSTed to subscribers, signed, retried, in order.

Flow. `profiles` appends a change to its log and, after the transaction commits, hands the
events to `webhook_events_publish` (plain dicts: connectors imports nothing from profiles).
That makes one `WebhookDelivery` per event and interested subscription with one query to find
the active subscriptions (none: nothing else happens, so the real-time path stays cheap) and
one bulk insert, then, after that commit too, queues `webhook_deliver_task` on django-q2 per
subscription touched. The scheduled `webhook_deliver_due_task` retries what is due.

Order and concurrency. A subscription's deliveries are sent one at a time in `sequence`
order by whoever holds its lease (a token and an expiry on the subscription row, taken with
one conditional UPDATE, so it works the same on PostgreSQL and SQLite and keeps no
transaction open during the HTTP call). The head of the queue (lowest open sequence) blocks
the rest until it is delivered or dead: a dead delivery is dead-lettered and no longer holds
the queue back; redelivering it sends it again when it becomes the head. A worker that dies
mid-send leaves its lease to expire, after which the delivery is retried: delivery is at least
once, and receivers drop duplicates by `X-MDM-Delivery` (or the event's `sequence`).

Signature. `X-MDM-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>` with
`X-MDM-Timestamp` in Unix seconds; receivers recompute it and reject old timestamps.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from connectors.choices import WEBHOOK_OPEN_STATUSES, WebhookDeliveryStatus, WebhookEventType
from connectors.models import SourceSystem, WebhookDelivery, WebhookSubscription
from connectors.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, body_signature
from mdm.schedules import ScheduleSpec, schedule_ensure

logger = logging.getLogger(__name__)

DELIVER_TASK = "connectors.tasks.webhook_deliver_task"
# Periodic retries, declared in code and created idempotently by `webhook_schedule_ensure`.
DELIVER_DUE_SCHEDULE: ScheduleSpec = {
    "name": "webhooks-deliver-due",
    "func": "connectors.tasks.webhook_deliver_due_task",
    "minutes": 1,
}
EVENT_HEADER = "X-MDM-Event"
DELIVERY_HEADER = "X-MDM-Delivery"
USER_AGENT = "customer-mdm-webhooks/1"
PAYLOAD_KEYS = ("sequence", "type", "customer_id", "survivor_id", "attributes", "changed_fields", "occurred_at")
MAX_ERROR_LENGTH = 1000
RESPONSE_SNIPPET_BYTES = 300
DELIVERIES_PER_RUN = 500  # per subscription and task run; the rest waits for the next run
BULK_BATCH = 1000
SECRET_MIN_LENGTH = 16


class WebhookError(Exception):
    """A webhook action that cannot be done as asked (the message says why)."""


# Subscriptions -------------------------------------------------------------------------------


def webhook_secret_generate() -> str:
    """A fresh random signing secret (256 bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def _validated(subscription: WebhookSubscription) -> WebhookSubscription:
    types = subscription.event_types or []
    if not isinstance(types, list | tuple) or any(t not in WebhookEventType.values for t in types):
        raise ValidationError(
            {"event_types": f"event types must be a list of {', '.join(WebhookEventType.values)} (empty = all)"}
        )
    subscription.event_types = sorted(set(types), key=WebhookEventType.values.index)
    if subscription.secret and len(subscription.secret) < SECRET_MIN_LENGTH:
        raise ValidationError({"secret": f"the secret must be at least {SECRET_MIN_LENGTH} characters"})
    subscription.full_clean(exclude=["lease_token", "leased_until"])
    return subscription


def webhook_subscription_create(
    *,
    name: str,
    url: str,
    actor: str,
    event_types: Iterable[str] = (),
    source: SourceSystem | None = None,
    active: bool = True,
    max_attempts: int | None = None,
    secret: str = "",
) -> WebhookSubscription:
    """Create a subscription; a secret is generated unless one is given (shown to the creator)."""
    subscription = WebhookSubscription(
        name=(name or "").strip(),
        url=(url or "").strip(),
        event_types=list(event_types),
        source=source,
        active=active,
        secret=secret or webhook_secret_generate(),
        created_by=actor[:150],
    )
    if max_attempts is not None:
        subscription.max_attempts = max_attempts
    _validated(subscription)
    with transaction.atomic():
        subscription.save()
        webhook_schedule_ensure()
    logger.info("webhook subscription %s (%s) created by %s", subscription.pk, subscription.url, actor)
    return subscription


UPDATABLE_FIELDS = ("name", "url", "event_types", "source", "active", "max_attempts", "secret")


def webhook_subscription_update(
    *, subscription: WebhookSubscription, actor: str, data: Mapping[str, object]
) -> WebhookSubscription:
    """Change the given fields (`UPDATABLE_FIELDS`); unknown fields are refused."""
    unknown = set(data) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "this field cannot be changed" for name in sorted(unknown)})
    for name, value in data.items():
        if name == "secret" and not value:
            continue  # keep the current secret
        setattr(subscription, name, list(value) if name == "event_types" else value)  # type: ignore[arg-type]
    _validated(subscription)
    with transaction.atomic():
        subscription.save()
        if subscription.active:
            webhook_schedule_ensure()
            # Reactivated: whatever waited meanwhile can go now.
            transaction.on_commit(partial(_enqueue, subscription.pk), robust=True)
    logger.info("webhook subscription %s updated by %s: %s", subscription.pk, actor, sorted(data))
    return subscription


def webhook_subscription_deactivate(*, subscription: WebhookSubscription, actor: str) -> WebhookSubscription:
    """Stop delivering: new events are no longer recorded for it; open deliveries wait."""
    return webhook_subscription_update(subscription=subscription, actor=actor, data={"active": False})


def webhook_subscription_delete(*, subscription: WebhookSubscription, actor: str) -> None:
    """Delete a subscription and its delivery log."""
    with transaction.atomic():
        pk = subscription.pk
        subscription.delete()
    logger.info("webhook subscription %s deleted by %s", pk, actor)


# Publishing events ---------------------------------------------------------------------------


def _payload(event: Mapping[str, object]) -> dict[str, object]:
    occurred = event.get("occurred_at")
    return {
        "sequence": event["sequence"],
        "type": str(event.get("type") or event.get("kind")),
        "customer_id": event.get("customer_id"),
        "survivor_id": event.get("survivor_id"),
        "attributes": event.get("attributes") or {},
        "changed_fields": event.get("changed_fields") or [],
        "occurred_at": occurred.isoformat() if isinstance(occurred, datetime) else occurred,
    }


def webhook_events_publish(*, events: list[Mapping[str, object]]) -> int:
    """Record a delivery of each event for every active subscription that wants it; returns how many.

    Called after the change log's transaction commits. Events are dicts with `sequence`,
    `type` (or `kind`), `customer_id`, `survivor_id`, `attributes`, `changed_fields`,
    `origin_source` (code of the source whose write caused the change) and `occurred_at`.
    With no active subscription this is one query. Publishing the same event twice records it
    once (unique per subscription and sequence).
    """
    if not events:
        return 0
    subscriptions = list(
        WebhookSubscription.objects.filter(active=True).values_list("pk", "event_types", "source__code")
    )
    if not subscriptions:
        return 0
    now = timezone.now()
    payloads = [(event, _payload(event)) for event in sorted(events, key=lambda e: e["sequence"])]  # type: ignore[arg-type,return-value]
    rows: list[WebhookDelivery] = []
    touched: list[int] = []
    for pk, event_types, source_code in subscriptions:
        before = len(rows)
        for event, payload in payloads:
            if event_types and payload["type"] not in event_types:
                continue
            if source_code and event.get("origin_source") == source_code:
                continue  # loop prevention: the subscriber caused this change itself
            rows.append(
                WebhookDelivery(
                    subscription_id=pk,
                    sequence=payload["sequence"],
                    event_type=payload["type"],
                    payload=payload,
                    next_attempt_at=now,
                )
            )
        if len(rows) > before:
            touched.append(pk)
    if not rows:
        return 0
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, batch_size=BULK_BATCH, ignore_conflicts=True)
        for pk in touched:
            transaction.on_commit(partial(_enqueue, pk), robust=True)
    return len(rows)


def _enqueue(subscription_id: int) -> None:
    """Queue the sending of a subscription's deliveries now; the schedule catches up if this fails."""
    from django_q.tasks import async_task

    try:
        async_task(DELIVER_TASK, subscription_id, task_name=f"webhook-{subscription_id}-{uuid.uuid4().hex[:8]}")
    except Exception:  # the broker is down: the periodic retry will pick the deliveries up
        logger.exception("could not queue webhook delivery for subscription %s", subscription_id)


# Sending -------------------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """What receivers recompute to check a delivery (connectors/signing.py)."""
    return body_signature(secret=secret, timestamp=timestamp, body=body)


def webhook_body(*, delivery: WebhookDelivery) -> bytes:
    """The JSON body POSTed for a delivery: its id, then the event's fields in a fixed order."""
    document = {"id": delivery.pk, **{key: delivery.payload.get(key) for key in PAYLOAD_KEYS}}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def webhook_backoff(*, attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: base · 2^(attempts-1), capped, +≤10%."""
    base = float(settings.MDM_WEBHOOK_BACKOFF_BASE)
    delay = min(float(settings.MDM_WEBHOOK_BACKOFF_CAP), base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay * (1 + random.uniform(0, 0.1)))  # noqa: S311 - jitter, not security


@dataclass
class AttemptResult:
    ok: bool
    status_code: int | None = None
    error: str = ""


def _post(subscription: WebhookSubscription, delivery: WebhookDelivery, session: requests.Session) -> AttemptResult:
    body = webhook_body(delivery=delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: webhook_signature(secret=subscription.secret, timestamp=timestamp, body=body),
        TIMESTAMP_HEADER: timestamp,
        EVENT_HEADER: delivery.event_type,
        DELIVERY_HEADER: str(delivery.pk),
    }
    timeout = float(settings.MDM_WEBHOOK_TIMEOUT)
    try:
        with session.post(
            subscription.url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            if 200 <= response.status_code < 300:
                return AttemptResult(ok=True, status_code=response.status_code)
            snippet = response.raw.read(RESPONSE_SNIPPET_BYTES, decode_content=True) or b""
            text = snippet.decode("utf-8", errors="replace").strip()
            return AttemptResult(
                ok=False, status_code=response.status_code, error=f"HTTP {response.status_code}: {text}".strip(": ")
            )
    except requests.Timeout:
        return AttemptResult(ok=False, error=f"timed out after {timeout:g} s")
    except requests.RequestException as exc:
        return AttemptResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH])


def _record(delivery: WebhookDelivery, result: AttemptResult, max_attempts: int) -> None:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:MAX_ERROR_LENGTH]
    if result.ok:
        delivery.status = WebhookDeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= max_attempts:
        delivery.status = WebhookDeliveryStatus.DEAD
        delivery.next_attempt_at = None
    else:
        delivery.status = WebhookDeliveryStatus.FAILED
        delivery.next_attempt_at = now + webhook_backoff(attempts=delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
            "updated_at",
        ]
    )


def _lease_seconds() -> float:
    # Longer than one attempt can take (connect + read timeouts), renewed after each attempt.
    return 4 * float(settings.MDM_WEBHOOK_TIMEOUT) + 60


def _lease_take(subscription_id: int, token: str) -> bool:
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    until = now + timedelta(seconds=_lease_seconds())
    taken = WebhookSubscription.objects.filter(free, pk=subscription_id, active=True).update(
        lease_token=token, leased_until=until
    )
    return taken == 1


def _lease_renew(subscription_id: int, token: str) -> bool:
    until = timezone.now() + timedelta(seconds=_lease_seconds())
    return WebhookSubscription.objects.filter(pk=subscription_id, lease_token=token).update(leased_until=until) == 1


def _lease_release(subscription_id: int, token: str) -> None:
    WebhookSubscription.objects.filter(pk=subscription_id, lease_token=token).update(lease_token="", leased_until=None)


@dataclass
class DeliveryCounts:
    """What one sending pass did."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    busy: int = 0  # subscriptions another worker was sending at the time
    subscriptions: list[int] = field(default_factory=list)

    def add(self, other: DeliveryCounts) -> None:
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead
        self.busy += other.busy
        self.subscriptions += other.subscriptions

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "dead": self.dead, "busy": self.busy}


def _head(subscription_id: int) -> WebhookDelivery | None:
    """The subscription's lowest open delivery, or None when it must wait (or nothing is open)."""
    head = (
        WebhookDelivery.objects.filter(subscription_id=subscription_id, status__in=WEBHOOK_OPEN_STATUSES)
        .order_by("sequence", "id")
        .first()
    )
    if head is None or (head.next_attempt_at is not None and head.next_attempt_at > timezone.now()):
        return None  # nothing left, or the head waits for its retry time and holds the rest back
    return head


def _send_while_leased(subscription_id: int, token: str, limit: int, counts: DeliveryCounts) -> None:
    subscription = WebhookSubscription.objects.get(pk=subscription_id)
    with requests.Session() as session:  # keeps the connection to the subscriber between deliveries
        _send_loop(subscription, token, limit, counts, session)


def _send_loop(
    subscription: WebhookSubscription, token: str, limit: int, counts: DeliveryCounts, session: requests.Session
) -> None:
    subscription_id = subscription.pk
    for _ in range(limit):
        head = _head(subscription_id)
        if head is None:
            return
        result = _post(subscription, head, session)
        _record(head, result, subscription.max_attempts)
        if head.status == WebhookDeliveryStatus.DELIVERED:
            counts.delivered += 1
        elif head.status == WebhookDeliveryStatus.DEAD:
            counts.dead += 1
            logger.warning("webhook delivery %s dead after %s attempts: %s", head.pk, head.attempts, head.last_error)
        else:
            counts.failed += 1
            return
        if not _lease_renew(subscription_id, token):
            return


def webhook_subscription_deliver(*, subscription_id: int, limit: int = DELIVERIES_PER_RUN) -> DeliveryCounts:
    """Send a subscription's due deliveries in sequence order, stopping at a head that must wait.

    Safe to run concurrently: only the holder of the subscription's lease sends, so no
    delivery goes out twice and none overtakes an earlier one. A worker turned away as busy
    relies on the holder, which looks again after releasing the lease, so a delivery recorded
    just as the holder finished does not wait for the periodic retry.
    """
    counts = DeliveryCounts(subscriptions=[subscription_id])
    for _ in range(3):
        token = uuid.uuid4().hex
        if not _lease_take(subscription_id, token):
            counts.busy = 1
            return counts
        before = counts.delivered + counts.dead + counts.failed
        try:
            _send_while_leased(subscription_id, token, limit, counts)
        finally:
            _lease_release(subscription_id, token)
        sent = counts.delivered + counts.dead + counts.failed - before
        if counts.failed or sent >= limit or _head(subscription_id) is None:
            break
    return counts


def webhook_deliveries_deliver_due(*, now: datetime | None = None) -> DeliveryCounts:
    """Send every active subscription's due deliveries (the periodic retry)."""
    now = now or timezone.now()
    subscription_ids = (
        WebhookDelivery.objects.filter(
            status__in=WEBHOOK_OPEN_STATUSES, next_attempt_at__lte=now, subscription__active=True
        )
        .order_by("subscription_id")
        .values_list("subscription_id", flat=True)
        .distinct()
    )
    counts = DeliveryCounts()
    for subscription_id in list(subscription_ids):
        counts.add(webhook_subscription_deliver(subscription_id=subscription_id))
    return counts


def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor: str) -> WebhookDelivery:
    """Send a failed or dead delivery again (with a fresh set of attempts), as soon as it is the head."""
    if not delivery.can_redeliver:
        raise WebhookError(
            f"delivery {delivery.pk} is {delivery.status}: only failed or dead deliveries can be redelivered"
        )
    with transaction.atomic():
        delivery.status = WebhookDeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        transaction.on_commit(partial(_enqueue, delivery.subscription_id), robust=True)
    logger.info("webhook delivery %s redelivered by %s", delivery.pk, actor)
    return delivery


# Schedule ------------------------------------------------------------------------------------


def webhook_schedule_ensure(*, schedule_model: type[Model] | None = None) -> str:
    """Create or correct the periodic retry schedule; created | updated | unchanged."""
    return schedule_ensure(spec=DELIVER_DUE_SCHEDULE, schedule_model=schedule_model)
