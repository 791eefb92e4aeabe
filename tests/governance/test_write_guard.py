"""Enforcement on the import path: deprecated integrations receive no writes, unregistered sources
cannot import; both honour the administrators' switches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.choices import BatchStatus
from connectors.models import Activity, ImportBatch, QuarantinedRow, SourceRecord, SourceSystem
from connectors.policies import (
    WRITE_REFUSED_PREFIX,
    WriteRefused,
    check_write_allowed,
    register_write_guard,
    unregister_write_guard,
    write_refusal,
)
from connectors.services.activities import activities_import
from connectors.services.records import records_import
from governance.models import Integration, PolicyRule
from tests.connectors.test_import_records import ROW_1, ROW_2, csv_text


def switch(code: str, enabled: bool) -> None:
    PolicyRule.objects.filter(code=code).update(enabled=enabled)


@pytest.fixture
def deprecated_crm(crm, apply_catalog):
    apply_catalog(integration__lifecycle="deprecated")
    return crm


@pytest.fixture
def orphan(db):
    return SourceSystem.objects.create(code="orphan", name="Orphan", id_field="Id", mapping={})


@pytest.mark.django_db
class TestRecordsImport:
    def test_deprecated_source_refuses_the_whole_file(self, deprecated_crm, write_file):
        with pytest.raises(WriteRefused) as info:
            records_import(source=deprecated_crm, path=write_file("crm.csv", csv_text(ROW_1)), actor="test")
        assert str(info.value).startswith("write refused: source 'crm' is deprecated and receives no writes")
        assert "deprecated-no-writes" in str(info.value)
        assert not SourceRecord.objects.exists()
        batch = ImportBatch.objects.get()
        assert batch.status == BatchStatus.FAILED
        assert batch.error.startswith(WRITE_REFUSED_PREFIX + "source 'crm' is deprecated")
        assert batch.rows_read == 0

    def test_the_command_exits_nonzero_with_the_reason(self, deprecated_crm, write_file):
        with pytest.raises(CommandError, match="write refused: source 'crm' is deprecated"):
            call_command("import_records", "crm", str(write_file("crm.csv", csv_text(ROW_1))))

    def test_switching_the_rule_off_allows_writes(self, deprecated_crm, write_file):
        switch("deprecated-no-writes", False)
        batch = records_import(source=deprecated_crm, path=write_file("crm.csv", csv_text(ROW_1)), actor="test")
        assert batch.status == BatchStatus.SUCCEEDED
        assert batch.created == 1

    def test_unregistered_source_cannot_import_until_registered_or_switched_off(self, orphan, write_file):
        path = write_file("orphan.csv", "Id,Name\n1,Ann\n")
        with pytest.raises(WriteRefused, match="source 'orphan' is not registered"):
            records_import(source=orphan, path=path, actor="test")
        switch("registered-source", False)
        assert records_import(source=orphan, path=path, actor="test").created == 1
        switch("registered-source", True)
        Integration.objects.create(source=orphan, pattern="batch", cadence=timedelta(days=1), lifecycle="proposed")
        assert records_import(source=orphan, path=path, actor="test").unchanged == 1  # proposed: allowed

    def test_production_source_imports(self, crm, write_file):
        assert write_refusal(crm) is None
        check_write_allowed(crm)
        assert records_import(source=crm, path=write_file("crm.csv", csv_text(ROW_1, ROW_2)), actor="t").created == 2


@pytest.mark.django_db
def test_activities_of_a_refused_source_are_quarantined_with_the_reason(crm, apply_catalog, write_file):
    records_import(source=crm, path=write_file("crm.csv", csv_text(ROW_1)), actor="test")
    apply_catalog(integration__lifecycle="deprecated")
    path = write_file(
        "activities.csv",
        "source,source_id,kind,occurred_at\ncrm,003A,order,2026-01-02T10:00:00Z\nerp,X1,order,2026-01-02T10:00:00Z\n",
    )
    batch = activities_import(path=path, actor="test")
    assert batch.status == BatchStatus.SUCCEEDED
    assert not Activity.objects.exists()
    reasons = dict(QuarantinedRow.objects.filter(batch=batch).values_list("line_number", "reasons"))
    assert reasons[2][0].startswith("write refused: source 'crm' is deprecated")
    assert reasons[3] == ["unknown source record 'X1'"]  # erp accepts writes; the record is unknown


@pytest.mark.django_db
def test_guards_register_once_and_any_guard_can_refuse(crm):
    calls = []

    def maintenance(source):
        calls.append(source.code)
        return "closed for maintenance"

    register_write_guard(maintenance)
    register_write_guard(maintenance)
    try:
        with pytest.raises(WriteRefused) as info:
            check_write_allowed(crm)  # governance allows crm; the second guard objects
        assert info.value.reason == "closed for maintenance"
        assert calls == ["crm"]
    finally:
        unregister_write_guard(maintenance)
    assert write_refusal(crm) is None
