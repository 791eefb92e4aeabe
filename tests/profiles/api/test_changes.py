"""GET /changes/: the ordered feed of golden-record changes for CRM sync."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction

from profiles.choices import ChangeKind
from profiles.models import Customer, CustomerChange
from profiles.services.changes import Change, change_origin, customer_changes_append
from profiles.services.stewardship import customer_merge
from profiles.services.values import value_pin


def test_feed_in_order_with_state_after_each_change(reader, build):
    crm = build.source("crm", 0.9)
    ann = build.customer(build.record(crm, given_name="Ann", email="a@x.example"))
    bob = build.customer(build.record(crm, given_name="Bob"))
    with change_origin("crm"):
        value_pin(customer=ann, attribute="email", value="ann@x.example", actor="stew")
    customer_merge(survivor=ann, others=[bob], actor="stew")
    body = reader.get("/api/v1/changes/").json()
    results = body["results"]
    assert [r["sequence"] for r in results] == list(range(1, len(results) + 1))
    assert [(r["customer_id"], r["kind"]) for r in results] == [
        (ann.pk, "created"),
        (bob.pk, "created"),
        (ann.pk, "updated"),
        (ann.pk, "updated"),
        (bob.pk, "merged"),
    ]
    assert results[0]["attributes"] == {"given_name": "Ann", "full_name": "Ann", "email": "a@x.example"}
    assert results[2]["changed_fields"] == ["email"] and results[2]["attributes"]["email"] == "ann@x.example"
    assert results[2]["origin_source"] == "crm" and results[0]["origin_source"] == ""
    assert results[4]["survivor_id"] == ann.pk and results[0]["survivor_id"] is None
    assert results[0]["occurred_at"].endswith("Z")
    assert body["next"] == 5 and body["has_more"] is False


def test_cursor_and_limit(reader, build):
    crm = build.source("crm")
    for i in range(5):
        build.customer(build.record(crm, given_name=f"P{i}"))
    page = reader.get("/api/v1/changes/", {"after": 1, "limit": 2}).json()
    assert [r["sequence"] for r in page["results"]] == [2, 3]
    assert (page["next"], page["has_more"]) == (3, True)
    last = reader.get("/api/v1/changes/", {"after": 3, "limit": 2}).json()
    assert [r["sequence"] for r in last["results"]] == [4, 5] and last["has_more"] is False
    empty = reader.get("/api/v1/changes/", {"after": 5}).json()
    assert empty == {"results": [], "next": 5, "has_more": False}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "abc"}, "after"),
        ({"after": "-1"}, "after"),
        ({"after": "1.5"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
    ],
)
def test_bad_cursor_or_limit_is_400(reader, params, field):
    response = reader.get("/api/v1/changes/", params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


WRITES_PER_WRITER = 30


@pytest.mark.django_db(transaction=True)
def test_polling_reader_misses_nothing_and_sees_nothing_twice_under_concurrent_writers(issue_token):
    """Two writers append changes in transactions that stay open a little after appending (so one
    commits after the other started); a reader polls the API with its cursor meanwhile."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL: SQLite serialises writers itself")
    from rest_framework.test import APIClient

    _, plain = issue_token("read")
    customers = [Customer.objects.create() for _ in range(2)]
    errors: list[BaseException] = []
    done = threading.Event()
    seen: list[int] = []
    expected = 2 * WRITES_PER_WRITER
    started = threading.Barrier(2)

    def writer(customer: Customer, name: str) -> None:
        try:
            started.wait()
            for i in range(WRITES_PER_WRITER):
                with transaction.atomic():
                    change = Change(customer.pk, ChangeKind.UPDATED, attributes={"n": str(i)}, changed_fields=["n"])
                    customer_changes_append(changes=[change], actor=name)
                    time.sleep(random.uniform(0, 0.004))  # commit later, with the other writer waiting
                time.sleep(random.uniform(0, 0.002))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    def reader() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
        cursor = 0
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                body = client.get("/api/v1/changes/", {"after": cursor, "limit": 7}).json()
                seen.extend(row["sequence"] for row in body["results"])
                cursor = body["next"]
                if done.is_set() and not body["results"] and cursor >= expected:
                    return
                time.sleep(0.001)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        writers = [threading.Thread(target=writer, args=(c, f"w{i}")) for i, c in enumerate(customers)]
        polling = threading.Thread(target=reader)
        polling.start()
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        polling.join()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not errors, errors
    assert seen == list(range(1, expected + 1))
    assert CustomerChange.objects.count() == expected
