"""Hostile input, fuzzed with hypothesis (bounded: a few dozen examples each, well under 30 s).

- The importer (`records_import`) on CSV with NULs, huge fields, broken quoting, stray bytes,
  wrong encodings and formula strings, and on files of random bytes: it never raises except the
  documented `UnreadableFile` for a file that cannot be read at all (the batch is then failed and
  holds nothing), the counts add up, and every rejected row is in quarantine.
- The upsert API on deep and huge JSON, wrong types, invalid dates, NULs, bad encodings and
  bodies over 10 MB: never a 5xx; a 4xx writes nothing; rejected records are quarantined.
- Every CSV export (`export_xrefs`, the only one: no page serves CSV) escapes formula-looking
  cells (`=`, `+`, `-`, `@`, tab, carriage return) so a spreadsheet shows them as text.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.choices import BatchStatus
from connectors.models import ImportBatch, QuarantinedRow, SourceRecord
from connectors.readers import UnreadableFile
from tests.access.fixtures import issue_token, token_client  # noqa: F401

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same inputs on every run: a failure is reproducible, the time bounded
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMULAS = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", '=HYPERLINK("x")']
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from([*FORMULAS, "\x00", "a\x00b", '"', '""', 'x"y', "\n", "\r\n", ",", "\ufeff", "\ud7ff", "\u202e"]),
    st.just("x" * 200_000),  # a field larger than the csv module's default limit
)
COLUMNS = ["Id", "FirstName", "LastName", "Email", "Birthdate", "LastModified"]
ENCODINGS = ["utf-8", "utf-8", "latin-1", "utf-16", "cp1252"]
fuzzed = {"importer_csv": 0, "importer_bytes": 0, "api": 0, "export": 0}


def _csv_bytes(rows: list[list[str]], raw_lines: list[bytes], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row)
    text = out.getvalue()
    data = text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")
    return data + b"".join(line + b"\n" for line in raw_lines)


def _import_and_check(source, path: Path) -> ImportBatch:
    from connectors.services.records import records_import

    before = ImportBatch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        batch = records_import(source=source, path=path, actor="fuzz", batch_size=7)
    except UnreadableFile:
        batch = ImportBatch.objects.get(pk__gt=before)
        assert batch.status == BatchStatus.FAILED and batch.error
        assert not SourceRecord.objects.filter(last_batch=batch).exists()
        assert not QuarantinedRow.objects.filter(batch=batch).exists()
        return batch
    assert batch.status == BatchStatus.SUCCEEDED, batch.error
    outcomes = batch.created + batch.updated + batch.unchanged + batch.stale + batch.rejected
    assert batch.rows_read == outcomes, batch.counts()
    assert QuarantinedRow.objects.filter(batch=batch).count() == batch.rejected
    assert SourceRecord.objects.filter(last_batch=batch).count() <= batch.created + batch.updated
    return batch


row_strategy = st.lists(HOSTILE_TEXT, min_size=0, max_size=8)  # wrong column counts included


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(row_strategy, max_size=12),
    raw_lines=st.lists(st.binary(max_size=30), max_size=4),
    encoding=st.sampled_from(ENCODINGS),
)
@example(rows=[["1", "\x00", "x", "", "", ""]], raw_lines=[b'"unclosed, quote'], encoding="utf-8")
@example(rows=[["2", "x" * 200_000, "", "", "", ""]], raw_lines=[b"\xff\xfe\x00bad"], encoding="utf-8")
@example(rows=[["3", "Ann", "O", "", "13/45/2001", "not a date"]], raw_lines=[], encoding="latin-1")
def test_importer_survives_hostile_csv(crm, tmp_path_factory, rows, raw_lines, encoding):
    path = tmp_path_factory.mktemp("fuzz") / "crm.csv"
    path.write_bytes(_csv_bytes(rows, raw_lines, encoding))
    _import_and_check(crm, path)
    fuzzed["importer_csv"] += 1


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".jsonl"]))
@example(data=b"Id\n" + b"\x00" * 50 + b"\n", suffix=".csv")
@example(data=b'{"Id": "1", "FirstName": "\\u0000"}\n[1,2]\n{"Id": {"x": 1}}\n', suffix=".jsonl")
def test_importer_survives_random_bytes(crm, tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"crm{suffix}"
    path.write_bytes(data)
    _import_and_check(crm, path)
    fuzzed["importer_bytes"] += 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
record_strategy = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"Id": json_values, "LastModified": json_values},
        optional={"FirstName": json_values, "Email": json_values, "Birthdate": json_values},
    ),
)


@pytest.fixture
def writer(token_client, crm):  # noqa: F811
    client = token_client("write", source=crm)
    client.raise_request_exception = False
    return client


def _post_and_check(writer, body: bytes, content_type: str = "application/json") -> int:
    records_before = SourceRecord.objects.count()
    batches_before = ImportBatch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = writer.generic("POST", "/api/v1/sources/crm/records/", body, content_type=content_type)
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert response.json()["detail"]  # a message naming what was wrong
        assert SourceRecord.objects.count() == records_before  # nothing half-written
        assert not QuarantinedRow.objects.filter(batch__pk__gt=batches_before).exists()
        return response.status_code
    data = response.json()
    batch = ImportBatch.objects.get(pk=data["batch"])
    rejected = [r for r in data["records"] if r["outcome"] == "rejected"]
    assert QuarantinedRow.objects.filter(batch=batch).count() == len(rejected) == batch.rejected
    assert all(r["errors"] for r in rejected)
    return response.status_code


@pytest.mark.django_db
@FUZZ
@given(payload=st.one_of(record_strategy, st.lists(record_strategy, max_size=5)))
@example(payload={"Id": "1", "LastModified": "2031-02-30T25:61:00Z", "Birthdate": "99/99/9999"})
@example(payload=[{"Id": 1.5}, {"Id": True}, {"Id": ["x"]}, {"Id": None}, {"Id": "\x00"}, "text", 3])
@example(payload={"Id": "n" * 300, "FirstName": "\ud800"})
def test_api_upsert_survives_hostile_json(writer, payload):
    _post_and_check(writer, json.dumps(payload).encode())
    fuzzed["api"] += 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "body", "content_type", "expected"),
    [
        ("deep array", b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
        ("deep object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json", 400),
        ("over 10 MB", b'[{"Id": "' + b"x" * (10 * 1024 * 1024 + 10) + b'"}]', "application/json", 413),
        ("1001 records", json.dumps([{"Id": str(i)} for i in range(1001)]).encode(), "application/json", 413),
        ("not UTF-8", b'{"Id": "\xff\xfe"}', "application/json", 400),
        ("truncated", b'{"Id": "1", "FirstName": "An', "application/json", 400),
        ("empty", b"", "application/json", 400),
        ("a number", b"42", "application/json", 400),
        ("empty list", b"[]", "application/json", 400),
        ("form data", b"Id=1", "application/x-www-form-urlencoded", 415),
        ("NUL in JSON", b'{"Id": "1\\u0000", "FirstName": "\\u0000"}', "application/json", 200),
    ],
)
def test_api_upsert_refuses_hostile_bodies_with_a_4xx(writer, name, body, content_type, expected):
    assert _post_and_check(writer, body, content_type) == expected, name
    fuzzed["api"] += 1


@pytest.mark.django_db
@FUZZ
@given(source_id=st.one_of(st.sampled_from(FORMULAS), st.text(min_size=1, max_size=30)).filter(lambda s: s.strip()))
@example(source_id="=cmd|' /C calc'!A0")
@example(source_id="-42")
def test_every_csv_export_escapes_formulas(crm, tmp_path_factory, source_id):
    from profiles.models import Customer

    source_id = source_id.replace("\x00", "").strip()
    if not source_id or SourceRecord.objects.filter(source=crm, external_id=source_id).exists():
        return
    SourceRecord.objects.create(
        source=crm,
        external_id=source_id,
        received_at="2026-01-01T00:00:00Z",
        content_hash="h",
        customer=Customer.objects.create(),
        pending_resolution=False,
    )
    path = tmp_path_factory.mktemp("export") / "xrefs.csv"
    call_command("export_xrefs", "--output", str(path), stdout=io.StringIO())
    with path.open(newline="", encoding="utf-8") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert cells[:3] == ["source", "source_id", "customer_id"]
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert cell.lstrip("+-").replace(".", "", 1).isdigit(), f"formula not escaped: {cell!r}"
    if source_id in FORMULAS:
        assert "'" + source_id in cells
    fuzzed["export"] += 1


def test_fuzz_figures(capsys):
    """Prints how many inputs the tests above fed in (run with -s for the report)."""
    with capsys.disabled():
        print(f"\nfuzzed inputs: {fuzzed}")  # noqa: T201
