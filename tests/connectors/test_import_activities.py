"""import_activities (SPEC §3): activities land on their source records; bad rows are quarantined."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.models import Activity, QuarantinedRow, SourceRecord
from connectors.readers import UnreadableFile
from connectors.services.activities import activities_import

HEADER = "source,source_id,kind,occurred_at,amount,summary"


@pytest.fixture
def records(crm, sources):
    now = "2026-01-01T00:00:00Z"
    for source, external_id in ((crm, "003A"), (sources["erp"], "1001")):
        SourceRecord.objects.create(source=source, external_id=external_id, received_at=now, content_hash="x")


@pytest.mark.django_db
def test_activities_are_attached_and_reimport_adds_nothing(records, write_file):
    path = write_file(
        "act.csv",
        "\n".join(
            [
                HEADER,
                "crm,003A,order,2026-03-01T10:00:00Z,120.50,Order #1",
                "erp,1001,invoice,2026-03-02,99,Invoice 7",
                "crm,003A,ticket,2026-03-03T09:00:00+10:00,,Login problem",
            ]
        ),
    )
    batch = activities_import(path=path, actor="test")
    assert (batch.rows_read, batch.created, batch.rejected) == (3, 3, 0)
    order = Activity.objects.get(kind="order")
    assert order.amount == Decimal("120.50")
    assert order.source_record.external_id == "003A"
    ticket = Activity.objects.get(kind="ticket")
    assert ticket.amount is None
    assert ticket.occurred_at.isoformat() == "2026-03-02T23:00:00+00:00"
    again = activities_import(path=path, actor="test")
    assert (again.created, again.unchanged) == (0, 3)
    assert Activity.objects.count() == 3


@pytest.mark.django_db
def test_bad_activity_rows_are_quarantined_with_reasons(records, write_file):
    rows = [
        HEADER,
        "crm,003A,order,2026-03-01T10:00:00Z,10,ok",
        "nope,003A,order,2026-03-01T10:00:00Z,10,unknown source",
        "crm,999,order,2026-03-01T10:00:00Z,10,unknown record",
        "crm,003A,fax,2026-03-01T10:00:00Z,10,bad kind",
        "crm,003A,order,last tuesday,10,bad time",
        "crm,003A,order,2026-03-01T10:00:00Z,ten,bad amount",
        "crm,003A,order",
    ]
    batch = activities_import(path=write_file("act.csv", "\n".join(rows)), actor="test")
    assert (batch.rows_read, batch.created, batch.rejected) == (7, 1, 6)
    reasons = {q.line_number: q.reasons for q in QuarantinedRow.objects.filter(batch=batch)}
    assert reasons[3] == ["unknown source 'nope'"]
    assert reasons[4] == ["unknown source record '999'"]
    assert reasons[5][0].startswith("unknown kind 'fax'")
    assert reasons[6][0].startswith("occurred_at:")
    assert reasons[7] == ["amount 'ten' is not a number"]
    assert reasons[8] == ["expected 6 columns, found 3"]


@pytest.mark.django_db
def test_optional_columns_may_be_absent_but_required_ones_may_not(records, write_file, capsys):
    path = write_file("min.csv", "source,source_id,kind,occurred_at\ncrm,003A,usage,2026-03-01\n")
    call_command("import_activities", str(path), "--json")
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["created"] == 1
    with pytest.raises(UnreadableFile, match="missing columns in header: kind"):
        activities_import(path=write_file("x.csv", "source,source_id,occurred_at\n"), actor="t")
    with pytest.raises(CommandError, match="missing columns"):
        call_command("import_activities", str(write_file("y.csv", "source\n")))
