"""`check_integrity` (SPEC §3): clean after the real import + resolve path and steward work, and
each invariant, corrupted directly in the database, is named in a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from benchmarks.datagen import generate
from connectors.models import SourceRecord
from profiles.choices import CustomerStatus
from profiles.models import Customer, CustomerChange, GoldenAttribute

PEOPLE = 120


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("integrity-data")
    generate(PEOPLE, 11, directory)
    return directory


def build_resolved_state(directory: Path) -> dict[str, object]:
    """Catalog, every source file, a full resolve, then a steward merge (a retired id) and a
    deleted record: the state every later check starts from. Real services only."""
    from connectors.models import SourceSystem
    from connectors.services.records import records_import
    from governance.services import catalog_load
    from profiles.services.resolution import resolve_now
    from profiles.services.stewardship import customer_merge
    from profiles.services.values import source_record_delete

    catalog_load(path=directory / "catalog.yaml")
    for source in SourceSystem.objects.order_by("code"):
        path = next(p for p in directory.iterdir() if p.stem == source.code and p.suffix in (".csv", ".jsonl"))
        records_import(source=source, path=path, actor="test")
    run = resolve_now(mode="full", actor="test")
    assert run.status == "succeeded", run.error
    survivor, other = Customer.objects.filter(status=CustomerStatus.ACTIVE).order_by("pk")[:2]
    customer_merge(survivor=survivor, others=[other], actor="stew")
    deleted = SourceRecord.objects.filter(customer__status=CustomerStatus.ACTIVE).order_by("-pk").first()
    source_record_delete(record=deleted, actor="stew")
    return {"survivor": survivor, "retired": other, "deleted": deleted}


def run_check(*args: str) -> dict[str, object]:
    """The command's JSON report (its last line); raises CommandError on violations."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("check_integrity", "--json", *args, stdout=out)
    finally:
        run_check.last_output = out.getvalue()  # type: ignore[attr-defined]
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture
def resolved(db, small_dataset):
    return build_resolved_state(small_dataset)


def test_consistent_state_passes(resolved):
    report = run_check()
    assert report["ok"] is True and report["violations"] == []
    assert report["pending"] == 0
    assert report["retired"] >= 1 and report["golden_records"] > 0
    assert report["last_sequence"] == report["changes"] > 0
    assert "OK: no violations" in run_check.last_output


def test_unresolved_records_are_pending_not_violations(resolved):
    # A new record (not linked yet) and a changed one (still linked), as an import leaves them.
    changed = SourceRecord.objects.filter(is_deleted=False).order_by("pk").first()
    SourceRecord.objects.filter(pk=changed.pk).update(pending_resolution=True)
    SourceRecord.objects.create(
        source=changed.source, external_id="NEW-1", received_at=changed.received_at, content_hash="h"
    )
    report = run_check()
    assert report["ok"] is True
    assert report["pending"] == 2


def _active_record() -> SourceRecord:
    return SourceRecord.objects.filter(is_deleted=False, customer__status="active").order_by("pk").first()


def corrupt_unlinked(state):
    record = _active_record()
    SourceRecord.objects.filter(pk=record.pk).update(customer=None)
    return record.pk


def corrupt_dead_golden(state):
    record = _active_record()
    SourceRecord.objects.filter(pk=record.pk).update(customer=state["retired"])
    return record.pk


def corrupt_deleted_linked(state):
    SourceRecord.objects.filter(pk=state["deleted"].pk).update(customer=state["survivor"])
    return state["deleted"].pk


def corrupt_redirect_cycle(state):
    # survivor <-> retired: the survivor now redirects back to the id merged into it.
    Customer.objects.filter(pk=state["survivor"].pk).update(status="retired", merged_into=state["retired"])
    return state["retired"].pk


def corrupt_redirect_to_deleted(state):
    Customer.objects.filter(pk=state["survivor"].pk).update(status="deleted")
    return state["retired"].pk


def corrupt_change_log_gap(state):
    last = CustomerChange.objects.order_by("-sequence").first().sequence
    CustomerChange.objects.filter(sequence=last - 2).delete()
    return f"{last - 2}-{last - 2}"


def corrupt_provenance(state):
    attribute = GoldenAttribute.objects.filter(source_record__isnull=False, customer=state["survivor"]).first()
    foreign = SourceRecord.objects.filter(is_deleted=False).exclude(customer=state["survivor"]).first()
    GoldenAttribute.objects.filter(pk=attribute.pk).update(source_record=foreign)
    return attribute.pk


def corrupt_empty_golden(state):
    return Customer.objects.create().pk


@pytest.mark.parametrize(
    ("corrupt", "check"),
    [
        (corrupt_unlinked, "record_unlinked"),
        (corrupt_dead_golden, "record_on_dead_golden"),
        (corrupt_deleted_linked, "deleted_record_linked"),
        (corrupt_redirect_cycle, "redirect_broken"),
        (corrupt_redirect_to_deleted, "redirect_broken"),
        (corrupt_change_log_gap, "change_log_gap"),
        (corrupt_provenance, "provenance_unlinked"),
        (corrupt_empty_golden, "golden_without_records"),
    ],
)
def test_each_corruption_is_named(resolved, corrupt, check):
    example = corrupt(resolved)
    with pytest.raises(CommandError, match=check):
        run_check()
    output = run_check.last_output
    report = json.loads(output.strip().splitlines()[-1])
    assert report["ok"] is False
    found = {v["check"]: v for v in report["violations"]}
    assert check in found, found
    assert example in found[check]["examples"]
    assert f"VIOLATION {check}: " in output
