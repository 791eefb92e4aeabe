"""`export_all` / `import_all`: a logical backup restores an identical state (xrefs, golden values
with provenance, the change log, redirects, events, users), refuses to overwrite a database that
holds data unless forced, and the restored database keeps working (ids continue, log gap-free)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from connectors.models import SourceRecord
from profiles.integrity import integrity_check
from profiles.models import Customer, CustomerChange, CustomerEvent, GoldenAttribute, MatchPair

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    from benchmarks.datagen import generate

    directory = tmp_path_factory.mktemp("backup-data")
    generate(120, 11, directory)
    return directory


def snapshot() -> dict[str, object]:
    out = StringIO()
    call_command("export_xrefs", stdout=out)
    return {
        "xrefs": out.getvalue(),
        "customers": list(Customer.objects.order_by("pk").values_list("pk", "status", "merged_into", "full_name")),
        "golden": list(
            GoldenAttribute.objects.order_by("customer_id", "attribute").values_list(
                "customer_id", "attribute", "value", "source_record_id", "source_id", "rule", "competing", "pinned"
            )
        ),
        "changes": list(
            CustomerChange.objects.order_by("sequence").values_list("sequence", "customer_id", "kind", "attributes")
        ),
        "events": CustomerEvent.objects.count(),
        "pairs": MatchPair.objects.count(),
        "records": list(SourceRecord.objects.order_by("pk").values_list("pk", "customer_id", "raw", "is_deleted")),
        "users": list(
            get_user_model().objects.order_by("username").values_list("username", "password", "groups__name")
        ),
    }


# Transactional: on PostgreSQL the restore's TRUNCATE cannot run inside the test's own transaction.
@pytest.mark.django_db(transaction=True)
def test_round_trip_restores_an_identical_state(small_dataset, make_user, tmp_path):
    from profiles.services.values import value_pin
    from tests.test_integrity import build_resolved_state

    state = build_resolved_state(small_dataset)
    value_pin(customer=state["survivor"], attribute="email", value="pinned@x.example", actor="stew")
    make_user("stew", "steward")
    before = snapshot()
    backup = tmp_path / "mdm.jsonl.gz"
    call_command("export_all", str(backup), stdout=StringIO())
    assert backup.stat().st_size > 1000
    assert AuditEntry.objects.filter(action="export.all").exists()

    with pytest.raises(CommandError, match="already holds data"):
        call_command("import_all", str(backup), stdout=StringIO())
    out = StringIO()
    call_command("import_all", str(backup), "--force", stdout=out)
    assert "integrity: OK" in out.getvalue()
    assert snapshot() == before
    assert integrity_check().ok
    # The audit trail came back too, and records the restore.
    assert AuditEntry.objects.filter(action="import.all").count() == 1

    # The restored database keeps working: new ids continue, the change log stays gap-free.
    value_pin(customer=state["survivor"], attribute="email", value="after@x.example", actor="stew")
    assert CustomerChange.objects.order_by("-sequence").first().sequence == len(before["changes"]) + 1
    assert integrity_check().ok


@pytest.mark.django_db(transaction=True)
def test_restore_into_an_empty_database(small_dataset, tmp_path):
    from tests.test_integrity import build_resolved_state

    build_resolved_state(small_dataset)
    before = snapshot()
    backup = tmp_path / "mdm.jsonl"
    call_command("export_all", str(backup), stdout=StringIO())
    call_command("flush", interactive=False, verbosity=0)
    assert not Customer.objects.exists()
    call_command("import_all", str(backup), stdout=StringIO())
    assert snapshot() == before


def test_bad_paths_are_refused_clearly(tmp_path):
    with pytest.raises(CommandError, match="must end with one of"):
        call_command("export_all", str(tmp_path / "mdm.csv"), stdout=StringIO())
    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_all", str(tmp_path / "missing-dir" / "mdm.jsonl"), stdout=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_all", str(tmp_path / "nothing.jsonl"), stdout=StringIO())
