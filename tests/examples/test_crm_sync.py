"""The example client against a live server: push records, pull the changes feed with a cursor file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from access.services import api_token_issue
from connectors.models import SourceRecord
from profiles.models import CustomerChange
from tests.profiles.api_source_records.conftest import generated_small, match_model, model_parameters  # noqa: F401

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "crm_sync.py"
CSV = """Id,FirstName,LastName,Email,Phone,LastModified
C-1,Grace,Hopper,grace.hopper@example.com,0412 000 111,2026-01-01T00:00:00Z
C-2,Alan,Turing,alan.turing@example.com,0413 000 222,2026-01-01T00:00:00Z
C-3,G.,Hopper,GRACE.HOPPER@example.com,0412 000 111,2026-01-01T00:00:00Z
,No,Id,nobody@example.com,,
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def sync_args(live_server, sources, match_model, tmp_path):  # noqa: F811
    _, token = api_token_issue(name="crm-sync", scope="write", source=sources["crm"], actor="test")
    return ["--base-url", live_server.url, "--token", token, "--cursor-file", str(tmp_path / "crm.cursor")]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.django_db(transaction=True)
def test_push_then_pull_misses_nothing_and_repeats_nothing(sync_args, tmp_path):
    records = tmp_path / "contacts.csv"
    records.write_text(CSV)
    out = tmp_path / "changes.jsonl"
    first = run(*sync_args, "--source", "crm", "--push", str(records), "--output", str(out))
    assert first.returncode == 0, first.stderr
    assert "crm/C-1: created -> customer" in first.stderr
    assert "rejected" in first.stderr
    hopper = set(SourceRecord.objects.filter(external_id__in=["C-1", "C-3"]).values_list("customer_id", flat=True))
    assert len(hopper) == 1 and None not in hopper
    pulled = lines(out)
    sequences = [c["sequence"] for c in pulled]
    assert sequences == list(CustomerChange.objects.order_by("sequence").values_list("sequence", flat=True))
    assert {c["kind"] for c in pulled} >= {"created"}
    cursor_file = Path(sync_args[sync_args.index("--cursor-file") + 1])
    assert int(cursor_file.read_text()) == sequences[-1]

    # Caught up: nothing again. Pushing the same file again changes nothing either.
    again = run(*sync_args, "--source", "crm", "--push", str(records), "--output", str(out))
    assert again.returncode == 0, again.stderr
    assert "crm/C-1: unchanged" in again.stderr
    assert lines(out) == pulled

    # A new change is seen exactly once.
    records.write_text(
        CSV.replace("Alan,Turing", "Alan M.,Turing").replace("2026-01-01T00:00:00Z\nC-3", "2026-02-01T00:00:00Z\nC-3")
    )
    third = run(*sync_args, "--source", "crm", "--push", str(records), "--output", str(out))
    assert third.returncode == 0, third.stderr
    total = lines(out)
    new = total[len(pulled) :]
    assert new and all(c["sequence"] > sequences[-1] for c in new)
    assert len({c["sequence"] for c in total}) == len(total)
    # The same changes, left out when they came from this source's own writes.
    skipped = tmp_path / "skipped.jsonl"
    fresh = [a if a != str(cursor_file) else str(tmp_path / "other.cursor") for a in sync_args]
    assert run(*fresh, "--skip-origin", "crm", "--output", str(skipped)).returncode == 0
    assert lines(skipped) == []


@pytest.mark.django_db(transaction=True)
def test_a_refused_push_exits_1_with_the_reason(sync_args, tmp_path):
    records = tmp_path / "erp.json"
    records.write_text(json.dumps([{"KUNNR": "E-1", "NAME1": "X"}]))
    result = run(*sync_args, "--source", "erp", "--push", str(records))
    assert result.returncode == 1
    assert "HTTP 403" in result.stderr and "'crm'" in result.stderr
