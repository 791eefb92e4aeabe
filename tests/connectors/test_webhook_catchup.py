"""The webhook catch-up: changes whose publish hook never ran (a crash between the change log's
commit and the on_commit hook) are republished from the log by the periodic task, delivered to
a real local receiver, and nothing is delivered twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django_q.models import Schedule

from connectors.models import WebhookDelivery
from profiles.models import ChangePublishCursor, CustomerChange
from profiles.services import changes as change_log
from profiles.services.change_publishing import (
    CATCH_UP_SCHEDULE,
    WEBHOOKS_CURSOR,
    change_publication_catch_up,
)
from profiles.services.values import value_pin
from tests.connectors.test_webhooks import deliver, golden_record, receiver, subscribe  # noqa: F401

NOW = timedelta(0)  # no grace: the test's hooks have all run


@pytest.fixture
def crashed(monkeypatch):
    """While active, the commit hook hands nothing to webhooks: the process died before it ran."""

    class Switch:
        def __enter__(self):
            monkeypatch.setattr(change_log, "webhook_events_publish", lambda *, events: 0)

        def __exit__(self, *exc):
            monkeypatch.undo()

    return Switch()


def sequences() -> list[int]:
    return list(CustomerChange.objects.order_by("sequence").values_list("sequence", flat=True))


@pytest.mark.django_db
def test_changes_lost_by_a_crash_are_delivered_by_the_catch_up_once(
    receiver,  # noqa: F811
    crashed,
    django_capture_on_commit_callbacks,
):
    subscription = subscribe(receiver)
    change_publication_catch_up(grace=NOW)  # the cursor is at the end of the log
    with django_capture_on_commit_callbacks(execute=True):
        live = golden_record("crm", "ann@x.example")  # published by its hook, as usual
    with crashed, django_capture_on_commit_callbacks(execute=True):
        lost = golden_record("erp", "bob@x.example")
        value_pin(customer=lost, attribute="email", value="bob.new@x.example", actor="stew")
        value_pin(customer=live, attribute="email", value="ann.new@x.example", actor="stew")
    all_changes = sequences()
    assert len(all_changes) == 4
    assert list(subscription.deliveries.values_list("sequence", flat=True)) == all_changes[:1]

    with django_capture_on_commit_callbacks(execute=True):
        first = change_publication_catch_up(grace=NOW)
    assert (first.changes, first.cursor_to) == (4, all_changes[-1])
    assert sorted(subscription.deliveries.values_list("sequence", flat=True)) == all_changes
    deliver(subscription)
    assert [r.json["sequence"] for r in receiver.received] == all_changes  # in order, each once

    # Running again (the schedule fires every minute) finds nothing and sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = change_publication_catch_up(grace=NOW)
    assert (again.changes, again.deliveries) == (0, 0)
    deliver(subscription)
    assert len(receiver.received) == len(all_changes)
    assert WebhookDelivery.objects.count() == len(all_changes)
    assert ChangePublishCursor.objects.get(name=WEBHOOKS_CURSOR).sequence == all_changes[-1]


@pytest.mark.django_db
def test_changes_younger_than_the_grace_wait_for_a_later_run(receiver, crashed):  # noqa: F811
    subscribe(receiver)
    change_publication_catch_up(grace=NOW)
    with crashed:
        golden_record("crm", "cat@x.example")
    start = ChangePublishCursor.objects.get(name=WEBHOOKS_CURSOR).sequence
    waiting = change_publication_catch_up(grace=timedelta(minutes=5))
    assert (waiting.changes, waiting.cursor_to) == (0, start)  # its own hook may still be running
    taken = change_publication_catch_up(grace=NOW)
    assert (taken.changes, taken.cursor_to) == (1, sequences()[-1])
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_new_cursor_starts_at_the_end_of_the_log_and_does_not_resend_history(receiver):  # noqa: F811
    golden_record("crm", "dan@x.example")
    golden_record("crm", "eve@x.example")
    ChangePublishCursor.objects.all().delete()
    subscribe(receiver)
    result = change_publication_catch_up(grace=NOW, batch_size=1)
    assert (result.changes, result.cursor_from, result.cursor_to) == (0, sequences()[-1], sequences()[-1])
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db
def test_catch_up_walks_a_long_backlog_in_batches(receiver, crashed):  # noqa: F811
    subscription = subscribe(receiver)
    change_publication_catch_up(grace=NOW)
    with crashed:
        for n in range(5):
            golden_record("crm", f"p{n}@x.example")
    result = change_publication_catch_up(grace=NOW, batch_size=2)
    assert result.changes == 5
    assert subscription.deliveries.count() == 5


@pytest.mark.django_db
def test_the_catch_up_schedule_is_declared_in_code_and_created_idempotently():
    from profiles import tasks
    from profiles.apps import _after_migrate

    assert Schedule.objects.filter(name=CATCH_UP_SCHEDULE["name"]).count() == 1  # created by migrate
    Schedule.objects.filter(name=CATCH_UP_SCHEDULE["name"]).delete()
    _after_migrate(apps=apps)
    _after_migrate(apps=apps)
    (schedule,) = Schedule.objects.filter(name=CATCH_UP_SCHEDULE["name"])
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "profiles.tasks.change_publication_catch_up_task",
        Schedule.MINUTES,
        1,
        -1,
    )
    assert "published up to" in tasks.change_publication_catch_up_task()
