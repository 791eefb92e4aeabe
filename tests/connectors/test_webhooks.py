"""Webhooks against a real local HTTP receiver: signatures, retries with backoff, dead letters,
redelivery, per-subscription order, loop prevention, event-type filters, commit-only publishing
and the cost of the hook on the real-time path."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule

from connectors.choices import WebhookDeliveryStatus
from connectors.models import SourceRecord, SourceSystem, WebhookDelivery
from connectors.services import webhooks
from profiles.choices import ChangeKind
from profiles.models import Customer
from profiles.services.changes import RECORDS_FIELD, Change, change_origin
from profiles.services.golden import golden_records_recompute
from profiles.services.values import value_pin


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    def signature_valid(self, secret: str) -> bool:
        """What a receiver does: recompute HMAC-SHA256 over `{timestamp}.{body}` and compare."""
        timestamp = self.headers["X-MDM-Timestamp"]
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers["X-MDM-Signature"], f"sha256={expected}")


@dataclass
class Receiver:
    """`statuses` are answered in turn (then 200); `delay` seconds before answering."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sequences(self) -> list[int]:
        return [r.json["sequence"] for r in self.received]


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.received.append(Received(headers=dict(self.headers.items()), body=body))
                status = state.statuses.pop(0) if state.statuses else 200
            if state.delay:
                time.sleep(state.delay)
            answer = b"ok" if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mdm"
    yield state
    server.shutdown()
    server.server_close()


# Helpers -------------------------------------------------------------------------------------

Status = WebhookDeliveryStatus


def subscribe(receiver: Receiver, **kwargs) -> webhooks.WebhookSubscription:
    return webhooks.webhook_subscription_create(
        name=kwargs.pop("name", "crm sync"), url=receiver.url, actor="test", **kwargs
    )


def event(sequence: int, kind: str = "updated", origin: str = "", customer_id: int = 1) -> dict:
    return {
        "sequence": sequence,
        "type": kind,
        "customer_id": customer_id,
        "survivor_id": None,
        "attributes": {"email": f"c{sequence}@x.example"},
        "changed_fields": ["email"],
        "origin_source": origin,
        "occurred_at": timezone.now(),
    }


def publish(*events: dict) -> int:
    return webhooks.webhook_events_publish(events=list(events))


def deliver(subscription) -> webhooks.DeliveryCounts:
    return webhooks.webhook_subscription_deliver(subscription_id=subscription.pk)


def make_due(subscription) -> None:
    WebhookDelivery.objects.filter(subscription=subscription, next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def statuses(subscription) -> list[tuple[int, str]]:
    return list(subscription.deliveries.order_by("sequence").values_list("sequence", "status"))


def golden_record(source_code: str, email: str) -> Customer:
    """A golden record with one source record, created (and logged) as identity resolution would."""
    source = SourceSystem.objects.get_or_create(
        code=source_code, defaults={"name": source_code.upper(), "trust": 0.9, "id_field": "id"}
    )[0]
    customer = Customer.objects.create()
    SourceRecord.objects.create(
        source=source,
        external_id=email,
        email=email,
        received_at="2026-01-01T00:00:00Z",
        content_hash="h",
        customer=customer,
        pending_resolution=False,
    )
    intent = Change(customer.pk, ChangeKind.CREATED, changed_fields=[RECORDS_FIELD])
    golden_records_recompute(customer_ids=[customer.pk], actor="test", intents={customer.pk: intent})
    return customer


# Signing and the body --------------------------------------------------------------------------


def test_a_golden_record_change_is_posted_signed_after_commit(db, receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        customer = golden_record("crm", "ann@x.example")
    with django_capture_on_commit_callbacks(execute=True):
        value_pin(customer=customer, attribute="email", value="ann.new@x.example", actor="stew")
    counts = deliver(subscription)
    assert counts.delivered == 2 and len(receiver.received) == 2
    created, updated = receiver.received
    assert created.signature_valid(subscription.secret) and updated.signature_valid(subscription.secret)
    assert not updated.signature_valid("some-other-secret-entirely")
    delivery = subscription.deliveries.get(event_type="updated")
    assert updated.headers["X-MDM-Event"] == "updated"
    assert updated.headers["X-MDM-Delivery"] == str(delivery.pk)
    assert abs(int(updated.headers["X-MDM-Timestamp"]) - time.time()) < 60
    assert updated.headers["Content-Type"] == "application/json"
    body = updated.json
    assert list(body) == [
        "id",
        "sequence",
        "type",
        "customer_id",
        "survivor_id",
        "attributes",
        "changed_fields",
        "occurred_at",
    ]
    assert body["id"] == delivery.pk and body["type"] == "updated" and body["customer_id"] == customer.pk
    assert body["attributes"]["email"] == "ann.new@x.example" and body["changed_fields"] == ["email"]
    assert body["sequence"] == created.json["sequence"] + 1 and body["survivor_id"] is None
    assert timezone.datetime.fromisoformat(body["occurred_at"]).tzinfo is not None
    assert created.json["type"] == "created"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.DELIVERED, 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_signature_helper_matches_what_receivers_compute():
    body = b'{"id":1}'
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhooks.webhook_signature(secret="s3cret-s3cret-s3cret", timestamp="1700000000", body=body) == (
        f"sha256={expected}"
    )


# Retries, dead letters, redelivery ---------------------------------------------------------------


def test_a_500_is_retried_with_backoff_then_delivered(db, receiver, settings):
    settings.MDM_WEBHOOK_BACKOFF_BASE = 30
    subscription = subscribe(receiver)
    receiver.statuses = [500]
    publish(event(1))
    before = timezone.now()
    counts = deliver(subscription)
    assert (counts.delivered, counts.failed) == (0, 1)
    delivery = subscription.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.FAILED, 1, 500)
    assert "HTTP 500" in delivery.last_error and "receiver says no" in delivery.last_error
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 30 <= wait <= 34  # base · 2^0, plus at most 10% jitter
    assert deliver(subscription).delivered == 0 and len(receiver.received) == 1  # not due yet
    make_due(subscription)
    counts = webhooks.webhook_deliveries_deliver_due()
    assert counts.delivered == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.DELIVERED, 2, "")
    assert [r.headers["X-MDM-Delivery"] for r in receiver.received] == [str(delivery.pk)] * 2


def test_backoff_doubles_and_is_capped(settings):
    settings.MDM_WEBHOOK_BACKOFF_BASE = 10
    settings.MDM_WEBHOOK_BACKOFF_CAP = 100
    waits = [webhooks.webhook_backoff(attempts=n).total_seconds() for n in (1, 2, 3, 4, 10)]
    for wait, base in zip(waits, (10, 20, 40, 80, 100), strict=True):
        assert base <= wait <= base * 1.1


def test_dead_after_max_attempts_then_redelivered(db, receiver):
    subscription = subscribe(receiver, max_attempts=2)
    receiver.statuses = [503, 502]
    publish(event(1), event(2))
    deliver(subscription)
    make_due(subscription)
    counts = deliver(subscription)
    # The first is dead-lettered after its 2 attempts and no longer holds the second back.
    assert (counts.dead, counts.delivered) == (1, 1)
    assert statuses(subscription) == [(1, Status.DEAD), (2, Status.DELIVERED)]
    dead = subscription.deliveries.get(sequence=1)
    assert dead.attempts == 2 and dead.last_status_code == 502 and dead.next_attempt_at is None
    assert receiver.sequences() == [1, 1, 2]

    webhooks.webhook_delivery_redeliver(delivery=dead, actor="stew")
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (Status.PENDING, 0)
    assert deliver(subscription).delivered == 1
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (Status.DELIVERED, 1)
    assert receiver.sequences() == [1, 1, 2, 1]
    assert receiver.received[-1].headers["X-MDM-Delivery"] == str(dead.pk)
    with pytest.raises(webhooks.WebhookError, match="only failed or dead"):
        webhooks.webhook_delivery_redeliver(delivery=dead, actor="stew")


def test_timeouts_and_refused_connections_count_as_failures(db, receiver, settings):
    settings.MDM_WEBHOOK_TIMEOUT = 0.2
    subscription = subscribe(receiver)
    receiver.delay = 1.0
    publish(event(1))
    deliver(subscription)
    delivery = subscription.deliveries.get()
    assert (delivery.status, delivery.last_status_code) == (Status.FAILED, None)
    assert "timed out after 0.2 s" in delivery.last_error

    with socket_closed() as url:
        refused = webhooks.webhook_subscription_create(name="gone", url=url, actor="test")
    publish(event(2))
    deliver(refused)
    delivery = refused.deliveries.get()
    assert delivery.status == Status.FAILED and "ConnectionError" in delivery.last_error


class socket_closed:  # noqa: N801 - used as a context manager
    """A URL on a local port that nothing listens on."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"http://127.0.0.1:{port}/"

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_redirect_is_not_followed_and_counts_as_a_failure(db, receiver):
    subscription = subscribe(receiver)
    receiver.statuses = [302]
    publish(event(1))
    deliver(subscription)
    assert subscription.deliveries.get().last_status_code == 302
    assert subscription.deliveries.get().status == Status.FAILED


# Order and concurrency ---------------------------------------------------------------------------


def test_a_later_event_waits_for_an_earlier_failed_one(db, receiver):
    subscription = subscribe(receiver)
    receiver.statuses = [500]
    publish(event(1), event(2), event(3))
    deliver(subscription)
    assert receiver.sequences() == [1]  # 2 and 3 wait behind the failed 1
    assert statuses(subscription) == [(1, Status.FAILED), (2, Status.PENDING), (3, Status.PENDING)]
    publish(event(4))
    deliver(subscription)
    assert receiver.sequences() == [1]  # still waiting for 1's retry time
    make_due(subscription)
    deliver(subscription)
    assert receiver.sequences() == [1, 1, 2, 3, 4]
    assert {s for _, s in statuses(subscription)} == {Status.DELIVERED}


def test_each_subscription_keeps_its_own_order(db, receiver):
    blocked = subscribe(receiver, name="blocked")
    other = subscribe(receiver, name="other")
    receiver.statuses = [500]
    publish(event(1), event(2))
    webhooks.webhook_deliveries_deliver_due()
    by_delivery = {int(r.headers["X-MDM-Delivery"]): r.json["sequence"] for r in receiver.received}
    other_ids = set(other.deliveries.values_list("pk", flat=True))
    assert sorted(seq for pk, seq in by_delivery.items() if pk in other_ids) == [1, 2]
    assert statuses(blocked) == [(1, Status.FAILED), (2, Status.PENDING)]


def test_a_subscription_being_sent_by_another_worker_is_left_alone(db, receiver):
    subscription = subscribe(receiver)
    publish(event(1))
    assert webhooks._lease_take(subscription.pk, "other-worker")
    counts = deliver(subscription)
    assert counts.busy == 1 and receiver.received == []
    webhooks._lease_release(subscription.pk, "other-worker")
    assert deliver(subscription).delivered == 1
    subscription.refresh_from_db()
    assert (subscription.lease_token, subscription.leased_until) == ("", None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_delivery_once_in_order(receiver):
    """Four workers call the delivery service at once for the same subscription (PostgreSQL:
    SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent workers need PostgreSQL")
    subscription = subscribe(receiver)
    receiver.delay = 0.01
    publish(*(event(i) for i in range(1, 21)))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                deliver(subscription)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    deliver(subscription)
    assert receiver.sequences() == list(range(1, 21))


# Who gets what -------------------------------------------------------------------------------


def test_a_change_is_not_echoed_back_to_the_source_that_caused_it(db, receiver, django_capture_on_commit_callbacks):
    crm = SourceSystem.objects.create(code="crm", name="CRM", id_field="id")
    into_crm = subscribe(receiver, name="into crm", source=crm)
    everyone = subscribe(receiver, name="everyone")
    publish(event(101, origin="crm"), event(102, origin="erp"), event(103, origin=""))
    assert [s for s, _ in statuses(into_crm)] == [102, 103]
    assert [s for s, _ in statuses(everyone)] == [101, 102, 103]
    # The same through the change log: a write marked as coming from crm.
    with django_capture_on_commit_callbacks(execute=True), change_origin("crm"):
        golden_record("crm", "from.crm@x.example")
    with django_capture_on_commit_callbacks(execute=True), change_origin("erp"):
        golden_record("erp", "from.erp@x.example")
    assert into_crm.deliveries.count() == 3 and everyone.deliveries.count() == 5
    assert into_crm.deliveries.get(sequence=2).payload["attributes"]["email"] == "from.erp@x.example"
    webhooks.webhook_deliveries_deliver_due()
    assert sorted(receiver.sequences()) == sorted([2, 102, 103] + [1, 2, 101, 102, 103])


def test_event_types_filter_what_a_subscription_receives(db, receiver):
    merges = subscribe(receiver, name="merges", event_types=["merged", "deleted", "merged"])
    assert merges.event_types == ["merged", "deleted"]
    assert merges.event_types_display == "merged, deleted"
    publish(event(1, "created"), event(2, "updated"), event(3, "merged"), event(4, "split"), event(5, "deleted"))
    assert [(s, t) for s, t in merges.deliveries.order_by("sequence").values_list("sequence", "event_type")] == [
        (3, "merged"),
        (5, "deleted"),
    ]
    deliver(merges)
    assert [r.headers["X-MDM-Event"] for r in receiver.received] == ["merged", "deleted"]


def test_inactive_subscriptions_get_nothing_and_publishing_twice_records_once(db, receiver):
    active = subscribe(receiver)
    inactive = subscribe(receiver, name="off", active=False)
    assert publish(event(1)) == 1
    publish(event(1))  # the same event again (a retried hand-over): recorded once
    assert active.deliveries.count() == 1 and inactive.deliveries.count() == 0
    webhooks.webhook_subscription_deactivate(subscription=active, actor="stew")
    publish(event(2))
    assert active.deliveries.count() == 1
    assert webhooks.webhook_deliveries_deliver_due().delivered == 0 and receiver.received == []


# Commit, cost and schedule -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_nothing_is_delivered_for_a_rolled_back_transaction(receiver):
    subscription = subscribe(receiver)
    customer = golden_record("crm", "ann@x.example")  # committed: one created event
    assert list(subscription.deliveries.values_list("event_type", flat=True)) == ["created"]
    with pytest.raises(RuntimeError), transaction.atomic():
        value_pin(customer=customer, attribute="email", value="rolled.back@x.example", actor="stew")
        raise RuntimeError("the writer fails after appending its change")
    assert subscription.deliveries.count() == 1
    value_pin(customer=customer, attribute="email", value="kept@x.example", actor="stew")
    deliver(subscription)
    assert [r.json["type"] for r in receiver.received] == ["created", "updated"]
    assert receiver.received[1].json["attributes"]["email"] == "kept@x.example"
    assert "rolled.back@x.example" not in b"".join(r.body for r in receiver.received).decode()


def test_the_real_time_path_pays_at_most_one_query_without_subscriptions(
    crm, receiver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from profiles.services.resolution import records_resolve_now

    people = [("Ann", "Lee", "ann@x.example"), ("Ann", "Lee", "ann@x.example"), ("Bob", "Lee", "bob@x.example")]
    records = [
        SourceRecord.objects.create(
            source=crm,
            external_id=f"RT-{i}",
            given_name=given,
            family_name=family,
            family_key=family.lower(),
            given_key=given.lower(),
            email=email,
            email_key=email,
            received_at="2026-01-01T00:00:00Z",
            content_hash="h",
        )
        for i, (given, family, email) in enumerate(people)
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        linked = records_resolve_now(record_ids=[r.pk for r in records], actor="api")
    assert len(linked) == 3 and callbacks
    with django_assert_max_num_queries(1):
        for callback in callbacks:
            callback()
    assert not WebhookDelivery.objects.exists()

    # With a subscription, the same hand-over records the deliveries.
    subscribe(receiver)
    with django_capture_on_commit_callbacks() as callbacks:
        records_resolve_now(record_ids=[records[0].pk], actor="api")
        value_pin(
            customer=Customer.objects.get(pk=linked[records[0].pk]), attribute="email", value="z@x.example", actor="s"
        )
    for callback in callbacks:
        callback()
    assert WebhookDelivery.objects.filter(event_type="updated").exists()


def test_the_retry_schedule_is_declared_and_created_once(db, receiver):
    Schedule.objects.filter(name=webhooks.DELIVER_DUE_SCHEDULE["name"]).delete()
    subscribe(receiver)
    schedule = Schedule.objects.get(name=webhooks.DELIVER_DUE_SCHEDULE["name"])
    assert (schedule.func, schedule.minutes, schedule.repeats) == ("connectors.tasks.webhook_deliver_due_task", 1, -1)
    assert webhooks.webhook_schedule_ensure() == "unchanged"
    Schedule.objects.filter(pk=schedule.pk).update(minutes=30)
    assert webhooks.webhook_schedule_ensure() == "updated"
    assert Schedule.objects.filter(name=webhooks.DELIVER_DUE_SCHEDULE["name"]).count() == 1


def test_the_tasks_call_the_services(db, receiver):
    from connectors.tasks import webhook_deliver_due_task, webhook_deliver_task

    subscription = subscribe(receiver)
    publish(event(1))
    assert webhook_deliver_task(subscription.pk) == "webhooks: 1 delivered, 0 to retry, 0 dead, 0 busy"
    assert webhook_deliver_due_task() == "webhooks: 0 delivered, 0 to retry, 0 dead, 0 busy"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"event_types": ["created", "exploded"]}, "event_types"),
        ({"max_attempts": 0}, "__all__"),
        ({"secret": "short"}, "secret"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(db, kwargs, field):
    data = {"name": "x", "url": "https://example.com/hook", **kwargs}
    with pytest.raises(ValidationError) as caught:
        webhooks.webhook_subscription_create(actor="test", **data)
    assert field in caught.value.message_dict
