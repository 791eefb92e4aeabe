"""Concurrency: 8 API writers upsert overlapping records while a full identity resolution runs.

Each writer is a thread with its own database connection, sending requests through the DRF
test client (the whole view stack, in-process). The writers share source ids, send different
payloads and distinct updated-at timestamps, so the newest must win whatever the commit order.
Afterwards: no duplicate source records, no lost update (every id holds the payload with the
newest updated-at that was sent), no 500 (a deadlock may surface only as a 409/503 the writer
retries), and after a final `resolve` every invariant of `check_integrity` holds.

PostgreSQL only: SQLite serialises every writer on one database lock, so there is no
concurrency to test (and an in-memory test database is not shared between threads).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.db.models import Count

WRITERS = 8
REQUESTS_PER_WRITER = 12
RECORDS_PER_REQUEST = 4
SHARED_IDS = 16  # half already held, half new: both updates and concurrent creations
RETRIES = 6
PEOPLE = 150


def _payloads(existing: list[str]) -> list[list[list[dict[str, str]]]]:
    """writer -> request -> records, each record with an updated-at no other record shares."""
    rng = random.Random(10)
    ids = existing[: SHARED_IDS // 2] + [f"CONC-{i:03d}" for i in range(SHARED_IDS - len(existing[: SHARED_IDS // 2]))]
    slots = WRITERS * REQUESTS_PER_WRITER * RECORDS_PER_REQUEST
    minutes = list(range(slots))
    rng.shuffle(minutes)
    base = datetime(2031, 1, 1, tzinfo=UTC)
    plan = []
    k = 0
    for w in range(WRITERS):
        requests = []
        for r in range(REQUESTS_PER_WRITER):
            chosen = rng.sample(ids, RECORDS_PER_REQUEST)
            records = []
            for sid in chosen:
                stamp = (base + timedelta(minutes=minutes[k])).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                records.append(
                    {
                        "Id": sid,
                        "FirstName": f"Writer{w}",
                        "LastName": f"Concurrent{sid[-3:]}",
                        "Email": f"c{sid[-3:].lower()}.w{w}r{r}@example.com",
                        "LastModified": stamp,
                    }
                )
                k += 1
            requests.append(records)
        plan.append(requests)
    return plan


@pytest.mark.django_db(transaction=True)
def test_eight_api_writers_and_a_full_resolve_lose_nothing(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises all writers on one lock, there is no concurrency to test")
    from rest_framework.test import APIClient

    from access.services import api_token_issue
    from benchmarks.datagen import generate
    from connectors.models import SourceRecord, SourceSystem
    from profiles.integrity import integrity_check
    from profiles.models import MatchRun
    from profiles.services.resolution import resolve_now
    from tests.test_integrity import build_resolved_state

    generate(PEOPLE, 13, tmp_path)
    build_resolved_state(tmp_path)
    crm = SourceSystem.objects.get(code="crm")
    existing = list(
        SourceRecord.objects.filter(source=crm, is_deleted=False)
        .order_by("external_id")
        .values_list("external_id", flat=True)
    )
    plan = _payloads(existing)
    _, plain = api_token_issue(name="concurrent-writers", scope="write", source=crm, actor="test")
    url = "/api/v1/sources/crm/records/"

    start = threading.Barrier(WRITERS + 1)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    resolve_outcome: list[str] = []
    lock = threading.Lock()

    def writer(requests: list[list[dict[str, str]]]) -> None:
        client = APIClient()
        client.raise_request_exception = False  # a crash must show as the 500 a client would see
        client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
        try:
            start.wait()
            for records in requests:
                for attempt in range(RETRIES):
                    response = client.post(url, records, format="json")
                    with lock:
                        statuses[response.status_code] += 1
                    if response.status_code == 200:
                        break
                    if response.status_code in (409, 503) and attempt < RETRIES - 1:
                        continue  # a clear "try again": the writer retries
                    with lock:
                        failures.append(f"{response.status_code}: {response.content[:300]!r}")
                    break
        finally:
            connections.close_all()

    def resolver() -> None:
        try:
            start.wait()
            run = resolve_now(mode="full", actor="test:concurrent-resolve")
            resolve_outcome.append(f"{run.status} {run.error}".strip())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(plan[w],)) for w in range(WRITERS)]
    threads.append(threading.Thread(target=resolver))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(t.is_alive() for t in threads), "a writer or the resolve hung"

    assert not failures, failures
    assert statuses[500] == 0
    sent_ok = sum(len(r) for w in plan for r in w)
    assert statuses[200] == WRITERS * REQUESTS_PER_WRITER, statuses
    assert resolve_outcome and resolve_outcome[0].startswith("succeeded"), resolve_outcome

    # No duplicates: one record per (source, source id).
    duplicates = SourceRecord.objects.values("source", "external_id").annotate(n=Count("id")).filter(n__gt=1).count()
    assert duplicates == 0
    # No lost update: each id holds the newest payload sent for it.
    newest: dict[str, dict[str, str]] = {}
    for requests in plan:
        for records in requests:
            for record in records:
                held = newest.get(record["Id"])
                if held is None or record["LastModified"] > held["LastModified"]:
                    newest[record["Id"]] = record
    stored = {r.external_id: r for r in SourceRecord.objects.filter(source=crm, external_id__in=list(newest))}
    assert set(stored) == set(newest)
    lost = [sid for sid, record in newest.items() if stored[sid].raw != record]
    assert lost == [], f"{len(lost)} lost updates, e.g. {lost[:3]}"

    # Golden records consistent once a final resolve has taken in every pending record.
    final = resolve_now(mode="incremental", actor="test:final-resolve")
    assert final.status == "succeeded", final.error
    report = integrity_check()
    assert report.ok, [str(v) for v in report.violations]
    assert report.pending == 0
    assert MatchRun.objects.filter(status="running").count() == 0
    print(  # noqa: T201 - the figures the report quotes
        f"\nconcurrency: {WRITERS} writers, {sum(statuses.values())} requests "
        f"({dict(statuses)}), {sent_ok} records sent over {len(newest)} shared ids, resolve {resolve_outcome[0]}"
    )
