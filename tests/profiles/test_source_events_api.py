"""Inbound signed events: signature and timestamp checks, replays, ordering by source timestamp,
deletes, quarantine of malformed events; over HTTP through the real endpoint."""

from __future__ import annotations

import functools
import json
import time

import pytest
from django.urls.exceptions import Resolver404

from connectors.choices import BatchKind, BatchStatus
from connectors.models import ImportBatch, QuarantinedRow, SourceEvent, SourceRecord
from connectors.pull.events import event_signature, event_signature_problem
from tests.connectors.test_sync_http import catalog_source, connector_catalog

SECRET = "shop-secret-for-tests"
URL = "/api/v1/sources/shop/events/"


def _mounted() -> bool:
    from django.urls import resolve

    try:
        return resolve(URL, urlconf="mdm.urls").url_name == "api-source-events"
    except Resolver404:
        return False


def test_events_route_is_mounted_under_api_v1():
    assert _mounted(), "profiles.api.source_event_urls is not included in mdm/api_urls.py"


@pytest.fixture
def shop(db, write_file, monkeypatch):
    monkeypatch.setenv("SHOP_SECRET", SECRET)
    load = functools.partial(catalog_source, write_file)
    return load(
        connector_catalog("{kind: events, secret_env: SHOP_SECRET}", code="shop", pattern="event-driven"), "shop"
    )


def event(event_id: str, kind: str, at: str, source_id: str = "S1", **record: object) -> dict[str, object]:
    body: dict[str, object] = {"id": event_id, "type": kind, "occurred_at": at}
    if kind == "delete":
        body["source_id"] = source_id
    else:
        body["record"] = {"id": source_id, "first": "Ann", "last": "Lee", "email": "ann@example.com", **record}
    return body


def send(client, payload: object, *, secret: str = SECRET, timestamp: int | None = None, sign: bool = True, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"HTTP_X_MDM_TIMESTAMP": stamp}
    if sign:
        headers["HTTP_X_MDM_SIGNATURE"] = event_signature(secret=secret, timestamp=stamp, body=body)
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_signed_event_creates_a_record_pending_resolution(client, shop):
    response = send(client, event("e1", "create", "2026-05-01T10:00:00Z", email="ann@example.com"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["events"] == [{"index": 0, "id": "e1", "outcome": "created", "source_id": "S1", "errors": []}]
    record = SourceRecord.objects.get(source=shop, external_id="S1")
    assert record.pending_resolution and record.email == "ann@example.com"
    assert record.source_updated_at.isoformat() == "2026-05-01T10:00:00+00:00"  # from occurred_at
    batch = ImportBatch.objects.get(pk=body["batch"])
    assert (batch.kind, batch.status, batch.created, batch.actor) == (BatchKind.EVENTS, "succeeded", 1, "events:shop")


@pytest.mark.parametrize(
    "tamper,detail",
    [
        ({"sign": False}, "Not authenticated: missing X-MDM-Signature header."),
        ({"secret": "wrong"}, "Not authenticated: bad signature."),
        ({"offset": -301}, "Not authenticated: X-MDM-Timestamp is more than 5 minutes old."),
        (
            {"offset": 400},
            "Not authenticated: X-MDM-Timestamp is more than 5 minutes in the future.",
        ),
    ],
)
def test_unsigned_badly_signed_and_stale_requests_are_refused(client, shop, tamper, detail):
    if "offset" in tamper:  # relative to when the test runs, not to when it was collected
        tamper = {"timestamp": int(time.time()) + tamper["offset"]}
    response = send(client, event("e1", "create", "2026-05-01T10:00:00Z"), **tamper)
    assert (response.status_code, response.json()) == (401, {"detail": detail})
    assert not SourceRecord.objects.exists() and not ImportBatch.objects.exists()


def test_signature_covers_the_body():
    body = b'{"id": "e1"}'
    good = event_signature(secret=SECRET, timestamp="1700000000", body=body)
    kwargs = {"secret": SECRET, "timestamp": "1700000000", "now": 1700000010.0}
    assert event_signature_problem(signature=good, body=body, **kwargs) is None
    assert event_signature_problem(signature=good, body=body + b" ", **kwargs) == "bad signature"
    assert event_signature_problem(signature=good, body=body, **{**kwargs, "timestamp": "nope"}).startswith("missing")


def test_replayed_event_is_refused(client, shop):
    payload = event("e1", "create", "2026-05-01T10:00:00Z")
    assert send(client, payload).status_code == 200
    replay = send(client, payload)
    assert replay.status_code == 409
    assert replay.json()["events"][0]["outcome"] == "replayed"
    # a new event id in the same request is applied, the replayed one is not
    mixed = send(client, [payload, event("e2", "update", "2026-05-01T11:00:00Z", email="new@example.com")])
    assert mixed.status_code == 200
    assert [e["outcome"] for e in mixed.json()["events"]] == ["replayed", "updated"]
    assert SourceEvent.objects.filter(source=shop).count() == 2


def test_out_of_order_events_apply_by_source_timestamp(client, shop):
    newer = event("e2", "update", "2026-05-01T12:00:00Z", email="newer@example.com")
    older = event("e1", "create", "2026-05-01T10:00:00Z", email="older@example.com")
    # in one request, the older listed last: applied first, the newer wins
    response = send(client, [newer, older])
    assert [e["outcome"] for e in response.json()["events"]] == ["updated", "created"]
    assert SourceRecord.objects.get(source=shop).email == "newer@example.com"
    # across requests: a late older event is stale and changes nothing
    late = send(client, event("e0", "update", "2026-05-01T11:00:00Z", email="late@example.com"))
    assert late.json()["events"][0]["outcome"] == "stale"
    assert SourceRecord.objects.get(source=shop).email == "newer@example.com"
    assert ImportBatch.objects.filter(kind=BatchKind.EVENTS).order_by("-pk")[0].stale == 1


def test_delete_event_and_stale_resurrection(client, shop):
    send(client, event("e1", "create", "2026-05-01T10:00:00Z"))
    stale_delete = send(client, event("e0", "delete", "2026-05-01T09:00:00Z"))
    assert stale_delete.json()["events"][0]["outcome"] == "stale"
    assert not SourceRecord.objects.get(source=shop).is_deleted

    deleted = send(client, event("e2", "delete", "2026-05-01T12:00:00Z"))
    assert deleted.json()["events"][0]["outcome"] == "deleted"
    assert SourceRecord.objects.get(source=shop).is_deleted
    # an update older than the delete does not bring the record back; a newer one does
    older = send(client, event("e3", "update", "2026-05-01T11:00:00Z", email="x@example.com"))
    assert older.json()["events"][0]["outcome"] == "stale"
    assert SourceRecord.objects.get(source=shop).is_deleted
    newer = send(client, event("e4", "update", "2026-05-01T13:00:00Z", email="back@example.com"))
    assert newer.json()["events"][0]["outcome"] == "updated"
    record = SourceRecord.objects.get(source=shop)
    assert (record.is_deleted, record.email, record.pending_resolution) == (False, "back@example.com", True)


def test_delete_of_a_linked_record_recomputes_its_golden_record(client, shop):
    from profiles.models import Customer, CustomerChange

    send(client, event("e1", "create", "2026-05-01T10:00:00Z"))
    customer = Customer.objects.create(given_name="Ann")
    SourceRecord.objects.filter(source=shop).update(customer=customer, pending_resolution=False)
    send(client, event("e2", "delete", "2026-05-01T12:00:00Z"))
    record = SourceRecord.objects.get(source=shop)
    assert (record.is_deleted, record.customer_id) == (True, None)
    customer.refresh_from_db()
    assert customer.status == "deleted"
    change = CustomerChange.objects.get(customer=customer)
    assert (change.kind, change.origin_source) == ("deleted", "shop")


def test_malformed_events_are_quarantined_and_the_good_ones_applied(client, shop):
    bad = {"id": "e9", "type": "merge", "occurred_at": "yesterday", "record": {"first": "No id"}}
    response = send(client, [event("e1", "create", "2026-05-01T10:00:00Z"), bad, 42])
    assert response.status_code == 200
    outcomes = response.json()["events"]
    assert [e["outcome"] for e in outcomes] == ["created", "rejected", "rejected"]
    assert outcomes[1]["errors"] == [
        "type: 'merge' is not one of create, update, delete",
        "occurred_at: 'yesterday' is not an ISO 8601 timestamp",
        "source_id: required (or the record's 'id' field)",
    ]
    batch = ImportBatch.objects.get(pk=response.json()["batch"])
    assert (batch.rows_read, batch.created, batch.rejected) == (3, 1, 2)
    assert QuarantinedRow.objects.filter(batch=batch).count() == 2
    # only rejected: 400, still quarantined; a corrected event may reuse the id
    only_bad = send(client, bad)
    assert only_bad.status_code == 400
    fixed = send(client, event("e9", "update", "2026-05-01T11:00:00Z"))
    assert fixed.json()["events"][0]["outcome"] == "updated"


def test_signed_garbage_is_quarantined(client, shop):
    response = send(client, None, raw=b"{not json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not JSON")
    row = QuarantinedRow.objects.get()
    assert row.raw_text == "{not json" and row.batch.kind == BatchKind.EVENTS


def test_unknown_source_missing_secret_and_refused_writes(client, shop, monkeypatch):
    unsigned = client.post("/api/v1/sources/nope/events/", data=b"{}", content_type="application/json")
    assert unsigned.status_code == 401  # nothing said about which sources exist
    assert client.get(URL).status_code == 401
    signed = {"HTTP_X_MDM_TIMESTAMP": "1", "HTTP_X_MDM_SIGNATURE": "sha256=00"}
    assert client.post(
        "/api/v1/sources/nope/events/", data=b"{}", content_type="application/json", **signed
    ).json() == {"detail": "No source 'nope' taking events."}
    assert client.get(URL, **signed).status_code == 405
    from governance.models import Integration

    Integration.objects.filter(source=shop).update(lifecycle="deprecated")
    refused = send(client, event("e1", "create", "2026-05-01T10:00:00Z"))
    assert refused.status_code == 403 and refused.json()["detail"].startswith("write refused: ")
    assert ImportBatch.objects.get().status == BatchStatus.FAILED
    monkeypatch.delenv("SHOP_SECRET")
    missing = send(client, event("e1", "create", "2026-05-01T10:00:00Z"))
    assert missing.status_code == 503 and "SHOP_SECRET" in missing.json()["detail"]


def test_too_many_events_are_refused(client, shop):
    response = send(client, [event(f"e{i}", "create", "2026-05-01T10:00:00Z", f"S{i}") for i in range(1001)])
    assert (response.status_code, response.json()) == (400, {"detail": "1001 events in one request, at most 1000"})
