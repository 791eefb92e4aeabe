"""Virtual sources: identity attributes synced for matching, the rest fetched live on request with
a short cache and a timeout, degrading to "unavailable" when the source is down."""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import RequestFactory

from connectors.choices import BatchKind
from connectors.models import SourceRecord
from connectors.pull.sync import source_sync
from connectors.pull.virtual import virtual_payload_get, virtual_payload_list
from tests.connectors.test_sync_http import PeerServer, catalog_source, connector_catalog, customer


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def peer():
    with PeerServer() as server:
        server.records = [customer(1, tier="platinum", balance=120.5), customer(2)]
        yield server


def virtual_source(write_file, url: str, **extra: object):
    block = {
        "kind": "virtualization",
        "record_url": url + "/customers/{id}",
        "url": url + "/next",
        "timeout": 0.3,
        "cache_seconds": 30,
        **extra,
    }
    text = connector_catalog(json.dumps(block), code="web", pattern="virtualization")
    return catalog_source(write_file, text, "web")


@pytest.fixture
def web(db, write_file, peer):
    source = virtual_source(write_file, peer.url)
    batch = source_sync(source=source, actor="test")
    assert (batch.kind, batch.created, batch.error) == (BatchKind.VIRTUAL, 2, "")
    return source


def test_identity_sync_keeps_only_identity_attributes(web):
    record = SourceRecord.objects.get(source=web, external_id="C0001")
    assert record.email == "person1@example.com" and record.pending_resolution
    assert set(record.raw) == {"id", "first", "last", "email", "updated_at"}  # no tier, no balance


def test_live_payload_is_fetched_then_cached(web, peer):
    record = SourceRecord.objects.get(source=web, external_id="C0001")
    peer.requests.clear()

    payload = virtual_payload_get(record)

    assert payload.is_live and not payload.cached
    assert payload.fields == {"balance": 120.5, "tier": "platinum"}  # the synced columns are not repeated
    assert payload.url == f"{peer.url}/customers/C0001"
    again = virtual_payload_get(record)
    assert again.cached and again.fields == payload.fields
    assert len(peer.requests) == 1


def test_source_down_degrades_to_unavailable_quickly(db, write_file):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = virtual_source(write_file, f"http://127.0.0.1:{port}")
    record = SourceRecord.objects.create(
        source=source, external_id="C0001", raw={"id": "C0001"}, received_at="2026-01-01T00:00:00Z", content_hash="x"
    )
    started = time.monotonic()
    payload = virtual_payload_get(record)
    assert time.monotonic() - started < 1
    assert payload.status == "unavailable" and payload.fields == {}
    assert payload.reason.startswith(f"GET http://127.0.0.1:{port}/customers/C0001: connection failed")
    assert virtual_payload_get(record).cached  # not asked again at once


def test_slow_source_times_out(web, peer):
    peer.delay = 1.0
    record = SourceRecord.objects.get(source=web, external_id="C0002")
    started = time.monotonic()
    payload = virtual_payload_get(record)
    assert time.monotonic() - started < 0.9
    assert payload.reason == f"GET {peer.url}/customers/C0002: no answer within 0.3s, after 1 attempt(s)"


def test_record_gone_from_the_source_is_unavailable(web, peer):
    peer.records = peer.records[:1]
    payload = virtual_payload_get(SourceRecord.objects.get(source=web, external_id="C0002"))
    assert payload.status == "unavailable" and "HTTP 404" in payload.reason


def test_records_of_other_sources_are_not_virtual(sources, web):
    from connectors.models import SourceSystem

    crm = SourceSystem.objects.get(code="crm")
    other = SourceRecord.objects.create(
        source=crm, external_id="X", raw={}, received_at="2026-01-01T00:00:00Z", content_hash="x"
    )
    assert virtual_payload_get(other) is None
    records = list(SourceRecord.objects.select_related("source").order_by("pk"))
    assert [p.record_id for p in virtual_payload_list(records=records)] == [r.pk for r in records if r.source == web]


def _render(user, record, payloads):
    request = RequestFactory().get("/customers/1/")
    request.user = user
    html = render_to_string(
        "connectors/includes/virtual_payload.html",
        {"record": record, "virtual_payloads": payloads},
        request=request,
    )
    return " ".join(html.split())


def test_include_shows_the_live_payload_labelled_live(web, make_user):
    record = SourceRecord.objects.get(source=web, external_id="C0001")
    payloads = virtual_payload_list(records=[record])
    html = _render(make_user("stew", "steward"), record, payloads)
    assert "Live from web" in html and ">live</span>" in html
    assert "<dt>tier</dt><dd>platinum</dd>" in html and "not stored in the MDM" in html
    viewer_html = _render(make_user("view", "viewer"), record, payloads)
    assert "platinum" not in viewer_html and "Live payload hidden" in viewer_html


def test_include_degrades_to_unavailable(web, peer, make_user):
    record = SourceRecord.objects.get(source=web, external_id="C0001")
    peer.always_fail = 503
    html = _render(make_user("stew", "steward"), record, virtual_payload_list(records=[record]))
    assert f"Live data unavailable: GET {peer.url}/customers/C0001: HTTP 503" in html
    other = SourceRecord.objects.get(source=web, external_id="C0002")
    assert _render(make_user("s2", "steward"), other, virtual_payload_list(records=[record])) == ""


def test_virtual_source_without_url_is_not_pulled(db, write_file):
    from django.core.management import CommandError, call_command

    block = {"kind": "virtualization", "record_url": "http://127.0.0.1:9/customers/{id}"}
    catalog_source(write_file, connector_catalog(json.dumps(block), code="web", pattern="virtualization"), "web")
    with pytest.raises(CommandError, match="declares no url"):
        call_command("sync", "web")
