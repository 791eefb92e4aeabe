"""The change log of golden records: every change appended in the same transaction, numbered
without gaps in commit order, so a consumer polling `sequence > cursor` misses nothing."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction

from connectors.models import SourceRecord, SourceSystem
from profiles.choices import ChangeKind
from profiles.models import Customer, CustomerChange
from profiles.selectors import customer_change_list
from profiles.services import golden
from profiles.services.stewardship import customer_merge
from profiles.services.values import value_pin


@pytest.mark.django_db
def test_every_change_is_logged_in_order_without_gaps(build):
    crm = build.source("crm", 0.9)
    a = build.customer(build.record(crm, given_name="Ann", email="a@x.example"), build.record(crm, given_name="Ann"))
    b = build.customer(build.record(crm, given_name="Bea"))
    value_pin(customer=a, attribute="email", value="ann@x.example", actor="stew")
    customer_merge(survivor=a, others=[b], actor="stew")
    log = list(customer_change_list(after=0, limit=1000))
    assert [c.sequence for c in log] == list(range(1, len(log) + 1))
    assert [(c.customer_id, c.kind) for c in log] == [
        (a.pk, ChangeKind.CREATED),
        (b.pk, ChangeKind.CREATED),
        (a.pk, ChangeKind.UPDATED),
        (a.pk, ChangeKind.UPDATED),
        (b.pk, ChangeKind.MERGED),
    ]
    assert log[0].attributes == {"given_name": "Ann", "full_name": "Ann", "email": "a@x.example"}
    assert log[2].changed_fields == ["email"] and log[2].attributes["email"] == "ann@x.example"
    assert log[3].changed_fields == ["source_records"]
    assert (log[4].survivor_id, log[4].attributes) == (a.pk, {})
    assert [c.sequence for c in customer_change_list(after=3, limit=1)] == [4]


@pytest.mark.django_db
def test_a_failed_writer_leaves_no_gap(build):
    crm = build.source("crm", 0.9)
    a = build.customer(build.record(crm, email="a@x.example"))
    with pytest.raises(RuntimeError), transaction.atomic():
        value_pin(customer=a, attribute="email", value="b@x.example", actor="stew")
        raise RuntimeError("rolled back after appending")
    value_pin(customer=a, attribute="email", value="c@x.example", actor="stew")
    assert list(CustomerChange.objects.values_list("sequence", flat=True)) == [1, 2]


WRITES_PER_WRITER = 25


@pytest.mark.django_db(transaction=True)
def test_a_polling_reader_misses_nothing_under_concurrent_writers(monkeypatch):
    """Two writers pin values concurrently, each holding its transaction open a little after
    appending; a reader polls `sequence > cursor` meanwhile. Run on PostgreSQL (SQLite
    serialises writers anyway)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    source = SourceSystem.objects.create(code="crm", name="CRM", trust=0.9, id_field="id")
    customers = []
    for i in range(2):
        customer = Customer.objects.create()
        SourceRecord.objects.create(
            source=source,
            external_id=f"R{i}",
            email=f"c{i}@x.example",
            received_at="2026-01-01T00:00:00Z",
            content_hash="h",
            customer=customer,
        )
        customers.append(customer)
    golden.golden_records_recompute(customer_ids=[c.pk for c in customers], actor="setup")
    start = CustomerChange.objects.count()
    real_append = golden.customer_changes_append

    def slow_append(**kwargs):
        appended = real_append(**kwargs)
        time.sleep(random.uniform(0, 0.004))  # commit a little later, lock still held
        return appended

    monkeypatch.setattr(golden, "customer_changes_append", slow_append)
    errors: list[BaseException] = []
    done = threading.Event()
    seen: list[int] = []

    def writer(customer: Customer, name: str) -> None:
        try:
            for i in range(WRITES_PER_WRITER):
                time.sleep(random.uniform(0, 0.002))
                value_pin(customer=customer, attribute="email", value=f"{name}{i}@x.example", actor=name)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    def reader() -> None:
        cursor = start
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                batch = list(CustomerChange.objects.filter(sequence__gt=cursor).order_by("sequence"))
                for change in batch:
                    seen.append(change.sequence)
                    cursor = change.sequence
                if done.is_set() and not batch and cursor >= start + 2 * WRITES_PER_WRITER:
                    return
                time.sleep(0.0005)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(c, f"w{i}")) for i, c in enumerate(customers)]
    poller = threading.Thread(target=reader)
    poller.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    poller.join()
    assert not errors, errors
    expected = list(range(start + 1, start + 2 * WRITES_PER_WRITER + 1))
    assert list(CustomerChange.objects.filter(sequence__gt=start).values_list("sequence", flat=True)) == expected
    # Each sequence seen once, in order: what a consumer storing its cursor gets.
    assert seen == expected
    actors = set(CustomerChange.objects.filter(sequence__gt=start).values_list("actor", flat=True))
    assert actors == {"w0", "w1"}
