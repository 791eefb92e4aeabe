"""http-pull against a real HTTP server on loopback: pagination styles, watermark, auth, 429 and 500
mid-way, timeouts, backoff of a failing connector, and the `sync` command."""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from connectors.choices import BatchKind, BatchStatus
from connectors.models import ImportBatch, QuarantinedRow, SourceRecord, SourceSystem
from connectors.pull.sync import source_sync, sources_sync_due, sync_backoff

# ---------------------------------------------------------------------------------------------
# The peer: a small JSON API paging through its customers


def customer(i: int, *, updated: str = "2026-01-01T00:00:00Z", **extra: object) -> dict[str, object]:
    return {
        "id": f"C{i:04d}",
        "first": f"Given{i}",
        "last": "Family",
        "email": f"person{i}@example.com",
        "updated_at": updated,
        "tier": "gold",
        **extra,
    }


class PeerServer:
    """A JSON API in a thread on an ephemeral port. `faults` maps a request number (1-based) to
    (status, headers) answered instead of the page; `delay` holds answers back; `auth` is the
    Authorization header required."""

    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []
        self.faults: dict[int, tuple[int, dict[str, str]]] = {}
        self.requests: list[tuple[float, str, dict[str, list[str]], dict[str, str]]] = []
        self.delay = 0.0
        self.auth = ""
        self.always_fail = 0
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                peer.requests.append((time.monotonic(), parts.path, query, dict(self.headers)))
                number = len(peer.requests)
                if peer.delay:
                    time.sleep(peer.delay)
                if peer.auth and self.headers.get("Authorization") != peer.auth:
                    return self._send(401, {"detail": "unauthorised"})
                if peer.always_fail:
                    return self._send(peer.always_fail, {"detail": "down"})
                if number in peer.faults:
                    status, headers = peer.faults[number]
                    return self._send(status, {"detail": "try later"}, headers)
                return self._route(parts.path, query)

            def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _route(self, path: str, query: dict[str, list[str]]) -> None:
                since = query.get("updated_since", [""])[0]
                rows = [r for r in peer.records if not since or str(r.get("updated_at", "")) >= since]
                if path.startswith("/customers/"):
                    wanted = path.rsplit("/", 1)[1]
                    found = next((r for r in peer.records if r.get("id") == wanted), None)
                    return self._send(200 if found else 404, found or {"detail": "not found"})
                if path == "/page":
                    page, size = int(query["page"][0]), int(query["page_size"][0])
                    return self._send(200, {"data": rows[(page - 1) * size : page * size]})
                if path == "/offset":
                    offset, limit = int(query["offset"][0]), int(query["limit"][0])
                    return self._send(200, {"results": rows[offset : offset + limit]})
                if path == "/cursor":
                    size = int(query["page_size"][0])
                    start = int(query.get("cursor", ["0"])[0])
                    more = start + size < len(rows)
                    return self._send(
                        200,
                        {"items": rows[start : start + size], "meta": {"next": str(start + size) if more else None}},
                    )
                if path in ("/next", "/link"):
                    size = int(query.get("page_size", query.get("n", ["2"]))[0])
                    start = int(query.get("from", ["0"])[0])
                    more = start + size < len(rows)
                    link = f"/{path.strip('/')}?from={start + size}&n={size}" + (
                        f"&updated_since={since}" if since else ""
                    )
                    if path == "/next":
                        return self._send(200, {"records": rows[start : start + size], "next": link if more else None})
                    return self._send(
                        200, rows[start : start + size], {"Link": f'<{link}>; rel="next"'} if more else {}
                    )
                return self._send(404, {"detail": "no such path"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> PeerServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peer():
    with PeerServer() as server:
        yield server


def connector_catalog(connector: str, *, code: str = "crm", pattern: str = "api-led") -> str:
    """A one-source catalog whose source pulls through the given connector block (YAML flow map)."""
    return f"""
sources:
  - code: {code}
    name: Sales CRM
    kind: crm
    trust: 0.9
    id_field: id
    updated_at_field: updated_at
    mapping:
      given_name: first
      family_name: last
      email: email
    integration:
      pattern: {pattern}
      cadence: PT10M
      owner: sales-ops
    connector: {connector}
"""


def catalog_source(write_file, text: str, code: str = "crm") -> SourceSystem:
    """Load a catalog as a user would, and return one of its sources."""
    from governance.services import catalog_load

    catalog_load(path=write_file("catalog.yaml", text))
    return SourceSystem.objects.get(code=code)


@pytest.fixture
def load_source(db, write_file):
    return functools.partial(catalog_source, write_file)


def http_block(url: str, style: str = "next-link", **extra: object) -> str:
    fields = {
        "kind": "http-pull",
        "url": url,
        "pagination": {"style": style},
        "watermark_param": "updated_since",
        "page_size": 2,
        "backoff": 0.01,
        "timeout": 2,
        **extra,
    }
    return json.dumps({k: v for k, v in fields.items() if v is not None})


# ---------------------------------------------------------------------------------------------
# Pulls


def test_next_link_pull_survives_a_429_and_a_500_mid_way(peer, load_source):
    peer.records = [customer(i, updated=f"2026-01-0{1 + i % 5}T10:00:00Z") for i in range(7)]
    peer.faults = {2: (429, {"Retry-After": "1"}), 4: (500, {})}
    source = load_source(connector_catalog(http_block(f"{peer.url}/next")))

    batch = source_sync(source=source, actor="test")

    assert batch.status == BatchStatus.SUCCEEDED, batch.error
    assert batch.kind == BatchKind.HTTP_PULL
    assert (batch.rows_read, batch.created, batch.rejected) == (7, 7, 0)
    assert (batch.watermark_before, batch.watermark_after) == ("", "2026-01-05T10:00:00Z")
    assert batch.duration_seconds is not None and batch.file_name == f"{peer.url}/next"
    # 4 pages + the 429 and the 500 answered in between; the 429 was waited out as asked
    assert len(peer.requests) == 6
    assert peer.requests[2][0] - peer.requests[1][0] >= 0.95
    records = SourceRecord.objects.filter(source=source)
    assert records.count() == 7 and all(r.pending_resolution for r in records)
    first = records.get(external_id="C0001")
    assert (first.family_name, first.email, first.raw["tier"]) == ("Family", "person1@example.com", "gold")
    source.refresh_from_db()
    assert (source.sync_watermark, source.sync_failures) == ("2026-01-05T10:00:00Z", 0)
    assert source.sync_due_at > timezone.now() + timedelta(minutes=4)  # half the PT10M cadence


def test_incremental_pull_asks_from_the_watermark_and_keeps_import_semantics(peer, load_source):
    peer.records = [customer(i, updated="2026-02-01T00:00:00Z") for i in range(3)]
    source = load_source(connector_catalog(http_block(f"{peer.url}/next")))
    source_sync(source=source, actor="test")
    peer.requests.clear()
    peer.records[1] = customer(1, updated="2026-02-02T00:00:00Z", email="new@example.com")
    peer.records.append(customer(9, updated="2026-02-03T00:00:00Z"))
    # an older state of C0002 than the one held: stale, like a late row of a file
    peer.records[2] = customer(2, updated="2026-02-05T00:00:00Z")
    source_sync(source=source, actor="test")
    peer.records[2] = customer(2, updated="2026-02-04T00:00:00Z", email="older@example.com")
    peer.requests.clear()

    batch = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")

    assert peer.requests[0][2]["updated_since"] == ["2026-02-05T00:00:00Z"]
    assert batch.watermark_before == "2026-02-05T00:00:00Z"
    assert batch.rows_read == 0  # nothing at or after the watermark: the older C0002 is not even sent
    second = ImportBatch.objects.filter(source=source).order_by("pk")[1]
    assert second.watermark_before == "2026-02-01T00:00:00Z"
    assert (second.created, second.updated, second.unchanged) == (1, 2, 1)
    assert SourceRecord.objects.get(source=source, external_id="C0001").email == "new@example.com"


def test_stale_record_from_the_api_never_overwrites_a_newer_state(peer, load_source):
    peer.records = [customer(1, updated="2026-03-02T00:00:00Z", email="newer@example.com")]
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", watermark_param=None)))
    source_sync(source=source, actor="test")
    peer.records = [customer(1, updated="2026-03-01T00:00:00Z", email="older@example.com")]

    batch = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")

    assert batch.stale == 1
    assert SourceRecord.objects.get(source=source).email == "newer@example.com"


@pytest.mark.parametrize("style,path", [("page", "/page"), ("offset", "/offset"), ("cursor", "/cursor")])
def test_pagination_styles(peer, load_source, style, path):
    peer.records = [customer(i) for i in range(5)]
    extra = {"records_path": "items", "pagination": {"style": "cursor", "cursor_path": "meta.next"}}
    block = http_block(f"{peer.url}{path}", style, **(extra if style == "cursor" else {}))
    source = load_source(connector_catalog(block))

    batch = source_sync(source=source, actor="test")

    assert batch.status == BatchStatus.SUCCEEDED, batch.error
    assert batch.created == 5
    assert SourceRecord.objects.filter(source=source).count() == 5
    pages = {"page": 4, "offset": 4, "cursor": 3}[style]  # page/offset stop at the first empty page
    assert len(peer.requests) == pages


def test_next_link_in_a_link_header(peer, load_source):
    peer.records = [customer(i) for i in range(5)]
    source = load_source(connector_catalog(http_block(f"{peer.url}/link", watermark_param=None)))
    batch = source_sync(source=source, actor="test")
    assert (batch.status, batch.created, len(peer.requests)) == (BatchStatus.SUCCEEDED, 5, 3)


def test_bad_records_are_quarantined(peer, load_source):
    peer.records = [customer(1), ["not", "an", "object"], {"first": "no id"}]
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", page_size=10)))
    batch = source_sync(source=source, actor="test")
    assert (batch.created, batch.rejected, batch.rows_read) == (1, 2, 3)
    reasons = [r.reasons[0] for r in QuarantinedRow.objects.filter(batch=batch)]
    assert reasons == ["not a JSON object but list", "no id field 'id' in the row"]


# ---------------------------------------------------------------------------------------------
# Auth from the environment


def test_bearer_token_read_from_the_environment(peer, load_source, monkeypatch):
    peer.records = [customer(1)]
    peer.auth = "Bearer s3cret-token"
    monkeypatch.setenv("CRM_TOKEN", "s3cret-token")
    auth = {"auth": {"type": "bearer", "token_env": "CRM_TOKEN"}}
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", **auth)))

    assert source_sync(source=source, actor="test").created == 1
    assert "s3cret" not in json.dumps(source.connector)


def test_basic_auth_read_from_the_environment(peer, load_source, monkeypatch):
    peer.records = [customer(1)]
    peer.auth = "Basic " + base64.b64encode(b"mdm:pw").decode()
    monkeypatch.setenv("CRM_USER", "mdm")
    monkeypatch.setenv("CRM_PASSWORD", "pw")
    auth = {"auth": {"type": "basic", "username_env": "CRM_USER", "password_env": "CRM_PASSWORD"}}
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", **auth)))
    assert source_sync(source=source, actor="test").created == 1


def test_missing_secret_fails_the_batch_naming_the_variable(peer, load_source, monkeypatch):
    monkeypatch.delenv("CRM_TOKEN", raising=False)
    auth = {"auth": {"type": "bearer", "token_env": "CRM_TOKEN"}}
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", **auth)))
    batch = source_sync(source=source, actor="test")
    assert batch.status == BatchStatus.FAILED
    assert batch.error == "environment variable CRM_TOKEN (bearer token) is not set"
    assert peer.requests == []


def test_wrong_credentials_fail_without_retrying(peer, load_source, monkeypatch):
    peer.auth = "Bearer right"
    monkeypatch.setenv("CRM_TOKEN", "wrong")
    auth = {"auth": {"type": "bearer", "token_env": "CRM_TOKEN"}}
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", **auth)))
    batch = source_sync(source=source, actor="test")
    assert batch.status == BatchStatus.FAILED and "HTTP 401" in batch.error
    assert len(peer.requests) == 1


# ---------------------------------------------------------------------------------------------
# Failures: timeouts, retries exhausted, backoff of the schedule


def test_timeout_fails_the_batch(peer, load_source):
    peer.delay = 0.6
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", timeout=0.2, retries=1)))
    started = time.monotonic()
    batch = source_sync(source=source, actor="test")
    assert time.monotonic() - started < 3
    assert batch.status == BatchStatus.FAILED
    assert batch.error == f"GET {peer.url}/next: no answer within 0.2s, after 2 attempt(s)"


def test_retry_after_longer_than_allowed_fails_at_once(peer, load_source):
    peer.faults = {1: (429, {"Retry-After": "3600"})}
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", max_retry_after=5)))
    batch = source_sync(source=source, actor="test")
    assert batch.status == BatchStatus.FAILED
    assert "asked to retry after 3600s, longer than max_retry_after (5s)" in batch.error


def test_failing_connector_backs_off_and_recovers(peer, load_source):
    peer.records = [customer(1)]
    peer.always_fail = 500
    source = load_source(connector_catalog(http_block(f"{peer.url}/next", retries=1)))
    waits = []
    for _ in range(3):
        before = timezone.now()
        batch = source_sync(source=SourceSystem.objects.get(pk=source.pk), actor="test")
        assert batch.status == BatchStatus.FAILED
        assert batch.error == f"GET {peer.url}/next: HTTP 500, after 2 attempt(s)"
        waits.append(SourceSystem.objects.get(pk=source.pk).sync_due_at - before)
    assert waits[0] > timedelta(minutes=9) and waits[1] > waits[0] * 1.9 and waits[2] > waits[1] * 1.9
    failed = SourceSystem.objects.get(pk=source.pk)
    assert failed.sync_failures == 3 and failed.sync_watermark == ""
    from governance.selectors import source_health_map

    health = source_health_map()[source.pk]  # pull runs count in governance health like imports
    assert (health.runs, health.failed_runs, health.last_success_at, health.freshness) == (3, 3, None, "never")
    # not due yet: --all leaves it alone
    assert sources_sync_due(actor="test") == []
    peer.always_fail = 0
    batch = source_sync(source=failed, actor="test")
    assert batch.status == BatchStatus.SUCCEEDED
    assert SourceSystem.objects.get(pk=source.pk).sync_failures == 0
    assert source_health_map()[source.pk].freshness == "fresh"


def test_backoff_is_capped():
    assert sync_backoff(period=timedelta(minutes=5), failures=1) == timedelta(minutes=10)
    assert sync_backoff(period=timedelta(minutes=5), failures=30) == timedelta(days=1)


def test_a_source_being_synced_is_not_synced_twice(peer, load_source):
    source = load_source(connector_catalog(http_block(f"{peer.url}/next")))
    SourceSystem.objects.filter(pk=source.pk).update(sync_lease_until=timezone.now() + timedelta(minutes=5))
    with pytest.raises(CommandError, match="being synced by another run"):
        call_command("sync", "crm", stdout=StringIO())


def test_write_refused_by_governance_is_a_failed_batch(peer, load_source):
    from governance.models import Integration

    source = load_source(connector_catalog(http_block(f"{peer.url}/next")))
    Integration.objects.filter(source=source).update(lifecycle="deprecated")
    batch = source_sync(source=source, actor="test")
    assert batch.status == BatchStatus.FAILED and batch.error.startswith("write refused: ")
    assert peer.requests == []


# ---------------------------------------------------------------------------------------------
# The command and the schedule


def test_sync_command_one_source_and_all_due(peer, load_source):
    peer.records = [customer(i) for i in range(3)]
    load_source(connector_catalog(http_block(f"{peer.url}/next")))
    out = StringIO()
    call_command("sync", "crm", "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("crm: succeeded: 3 rows, 3 created")
    summary = json.loads(lines[-1])
    assert (summary["created"], summary["watermark_after"]) == (3, "2026-01-01T00:00:00Z")

    out = StringIO()
    call_command("sync", "--all", stdout=out)
    assert out.getvalue().strip() == "no source is due"
    SourceSystem.objects.filter(code="crm").update(sync_due_at=timezone.now() - timedelta(seconds=1))
    out = StringIO()
    call_command("sync", "--all", "--json", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["sources"][0]["unchanged"] == 3


def test_sync_command_errors(db, load_source, peer):
    with pytest.raises(CommandError, match="unknown source 'nope'"):
        call_command("sync", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="exactly one of"):
        call_command("sync", stdout=StringIO())
    peer.always_fail = 503
    load_source(connector_catalog(http_block(f"{peer.url}/next", retries=0)))
    with pytest.raises(CommandError, match="sync of crm failed: .*HTTP 503"):
        call_command("sync", "crm", stdout=StringIO())
    with pytest.raises(CommandError, match="1 sync"):
        SourceSystem.objects.update(sync_due_at=None)
        call_command("sync", "--all", stdout=StringIO())


def test_source_without_pull_connector_is_refused(db, sources):
    with pytest.raises(CommandError, match="source 'crm' has no pull connector"):
        call_command("sync", "crm", stdout=StringIO())


def test_schedule_is_created_idempotently(db):
    from django_q.models import Schedule

    from connectors.sync_tasks import sync_due_task

    Schedule.objects.filter(name="connectors-sync-due").delete()  # `migrate` created it
    out = StringIO()
    call_command("sync", "--schedule", stdout=out)
    call_command("sync", "--schedule", stdout=out)
    assert out.getvalue().splitlines() == ["connectors-sync-due: created", "connectors-sync-due: unchanged"]
    schedule = Schedule.objects.get(name="connectors-sync-due")
    assert (schedule.func, schedule.minutes, schedule.schedule_type) == (
        "connectors.sync_tasks.sync_due_task",
        1,
        Schedule.MINUTES,
    )
    assert sync_due_task() == "synced 0 source(s), 0 failed"


def test_loading_a_catalog_with_a_pull_connector_creates_the_schedule(peer, load_source):
    from django_q.models import Schedule

    load_source(connector_catalog(http_block(f"{peer.url}/next")))
    load_source(connector_catalog(http_block(f"{peer.url}/next")))
    assert Schedule.objects.filter(name="connectors-sync-due").count() == 1
