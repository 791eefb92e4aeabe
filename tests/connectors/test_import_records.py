"""import_records (SPEC §3): upsert semantics, standardisation on the way in, and bad input."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.choices import BatchStatus
from connectors.models import ImportBatch, QuarantinedRow, SourceRecord
from connectors.readers import UnreadableFile
from connectors.services.records import records_import

HEADER = (
    "Id,FirstName,LastName,Email,Phone,Birthdate,MailingStreet,MailingCity,MailingPostalCode,"
    "MailingState,MailingCountry,AccountName,LastModified,LeadSource"
)
ROW_1 = (
    "003A,  john ,SMITH, John.Smith@Example.COM ,(02) 9123 4567,11/23/1987,12 Smith Street,sydney,2000,"
    "New South Wales,Australia,Acme Pty Ltd,2026-01-01T10:00:00Z,Web"
)
ROW_2 = "003B,Jane,Doe,jane@example.com,0412 345 678,01/02/1990,1 Main Rd,Perth,6000,WA,AU,,2026-01-01T10:00:00Z,Ad"
ROW_3 = "003C,Bob,Brown,,,,,,,,,,2026-01-01T10:00:00Z,"


def csv_text(*rows: str, header: str = HEADER, newline: str = "\n") -> str:
    return newline.join([header, *rows]) + newline


def run(crm, path, **kwargs) -> ImportBatch:
    return records_import(source=crm, path=path, actor="test", **kwargs)


def assert_counts_add_up(batch: ImportBatch) -> None:
    c = batch.counts()
    assert c["created"] + c["updated"] + c["unchanged"] + c["stale"] + c["rejected"] == c["rows"]


@pytest.mark.django_db
class TestUpsert:
    def test_new_rows_are_created_standardised_with_raw_payload_kept(self, crm, write_file):
        batch = run(crm, write_file("crm.csv", csv_text(ROW_1, ROW_2, ROW_3)))
        assert (batch.created, batch.updated, batch.unchanged, batch.rejected) == (3, 0, 0, 0)
        assert batch.status == BatchStatus.SUCCEEDED
        record = SourceRecord.objects.get(source=crm, external_id="003A")
        assert record.given_name == "John"
        assert record.family_name == "Smith"
        assert record.full_name == "John Smith"
        assert record.email == "john.smith@example.com"
        assert record.phone == "+61291234567"
        assert record.date_of_birth == date(1987, 11, 23)
        assert record.street == "12 Smith St"
        assert record.city == "Sydney"
        assert record.state == "NSW"
        assert record.country == "AU"
        assert record.company == "Acme Pty Ltd"
        assert record.company_key == "acme"
        assert record.birth_year == 1987
        assert record.raw["LeadSource"] == "Web"
        assert record.raw["FirstName"] == "  john "
        assert record.source_updated_at.isoformat() == "2026-01-01T10:00:00+00:00"
        assert record.pending_resolution is True
        assert record.quality_issues == {}
        assert SourceRecord.objects.get(external_id="003C").email == ""

    def test_identical_file_changes_nothing(self, crm, write_file):
        path = write_file("crm.csv", csv_text(ROW_1, ROW_2))
        run(crm, path)
        before = {r.pk: (r.received_at, r.content_hash) for r in SourceRecord.objects.all()}
        batch = run(crm, path)
        assert (batch.created, batch.updated, batch.unchanged) == (0, 0, 2)
        assert {r.pk: (r.received_at, r.content_hash) for r in SourceRecord.objects.all()} == before

    def test_changed_row_updates_and_older_row_is_stale(self, crm, write_file):
        run(crm, write_file("v1.csv", csv_text(ROW_1, ROW_2)))
        SourceRecord.objects.update(pending_resolution=False)
        changed = ROW_1.replace("John.Smith@Example.COM", "js@example.com").replace("2026-01-01", "2026-02-01")
        older = ROW_2.replace("jane@example.com", "old@example.com").replace("2026-01-01", "2025-06-01")
        batch = run(crm, write_file("v2.csv", csv_text(changed, older)))
        assert (batch.updated, batch.stale, batch.created) == (1, 1, 0)
        a = SourceRecord.objects.get(external_id="003A")
        assert a.email == "js@example.com"
        assert a.pending_resolution is True
        b = SourceRecord.objects.get(external_id="003B")
        assert b.email == "jane@example.com"
        assert b.pending_resolution is False

    def test_update_keeps_the_link_to_the_golden_record(self, crm, write_file):
        from profiles.models import Customer

        run(crm, write_file("v1.csv", csv_text(ROW_1)))
        customer = Customer.objects.create(full_name="John Smith")
        SourceRecord.objects.update(customer=customer)
        run(crm, write_file("v2.csv", csv_text(ROW_1.replace("Web", "Phone"))))
        record = SourceRecord.objects.get(external_id="003A")
        assert record.raw["LeadSource"] == "Phone"
        assert record.customer_id == customer.pk

    def test_deleted_record_that_comes_back_is_restored(self, crm, write_file):
        path = write_file("crm.csv", csv_text(ROW_1))
        run(crm, path)
        SourceRecord.objects.update(is_deleted=True)
        batch = run(crm, path)
        assert batch.updated == 1
        assert SourceRecord.objects.get().is_deleted is False

    @pytest.mark.parametrize("batch_size", [1, 2, 1000])
    def test_duplicate_ids_in_one_file_last_one_wins_and_are_counted(self, crm, write_file, batch_size):
        second = ROW_1.replace("Web", "Partner")
        third = ROW_1.replace("Web", "Event")
        path = write_file("dup.csv", csv_text(ROW_1, ROW_2, second, third))
        batch = run(crm, path, batch_size=batch_size)
        assert batch.duplicates == 2
        assert (batch.created, batch.updated, batch.unchanged) == (2, 2, 0)
        assert_counts_add_up(batch)
        assert SourceRecord.objects.get(external_id="003A").raw["LeadSource"] == "Event"
        assert SourceRecord.objects.count() == 2

    def test_timestamps_without_zone_are_utc_and_equal_timestamps_still_update(self, crm, write_file):
        run(crm, write_file("a.csv", csv_text(ROW_2.replace("2026-01-01T10:00:00Z", "2026-01-01 10:00:00"))))
        record = SourceRecord.objects.get()
        assert record.source_updated_at.isoformat() == "2026-01-01T10:00:00+00:00"
        batch = run(crm, write_file("b.csv", csv_text(ROW_2.replace("Ad", "Ad2"))))
        assert batch.updated == 1


@pytest.mark.django_db
class TestBadInput:
    def test_bad_rows_are_quarantined_with_line_and_reason(self, crm, write_file):
        no_id = ROW_2.replace("003B", "")
        short = "003D,Ann,Lee"
        path = write_file("bad.csv", csv_text(ROW_1, no_id, short, ROW_3))
        batch = run(crm, path)
        assert (batch.rows_read, batch.created, batch.rejected) == (4, 2, 2)
        assert_counts_add_up(batch)
        rows = list(QuarantinedRow.objects.filter(batch=batch).order_by("line_number"))
        assert [r.line_number for r in rows] == [3, 4]
        assert rows[0].reasons == ["missing id: field 'Id' is empty"]
        assert rows[0].raw_text == no_id
        assert rows[1].reasons == ["expected 14 columns, found 3"]
        assert rows[1].raw_text == short

    def test_invalid_text_in_the_encoding_is_quarantined(self, crm, write_file):
        content = csv_text(ROW_1, "003E,Ren\xe9,Roe" + ",x" * 11).encode("utf-8")
        content = content.replace("Ren\xe9".encode(), b"Ren\xe9")
        batch = run(crm, write_file("latin.csv", content))
        assert (batch.created, batch.rejected) == (1, 1)
        row = QuarantinedRow.objects.get(batch=batch)
        assert row.line_number == 3
        assert row.reasons == ["not valid utf-8 text"]
        assert "Ren\ufffd" in row.raw_text

    def test_another_encoding_can_be_declared(self, crm, write_file):
        content = csv_text("003E,Ren\xe9,Roe" + ",x" * 11).encode("latin-1")
        batch = run(crm, write_file("latin.csv", content), encoding="latin-1")
        assert batch.created == 1
        assert SourceRecord.objects.get().given_name == "René"

    def test_nul_bytes_are_quarantined(self, crm, write_file):
        batch = run(crm, write_file("nul.csv", csv_text(ROW_1.replace("Web", "W\x00eb"), ROW_2)))
        assert (batch.created, batch.rejected) == (1, 1)
        assert QuarantinedRow.objects.get().reasons == ["contains NUL characters"]

    def test_invalid_values_are_kept_empty_and_flagged_not_rejected(self, crm, write_file):
        row = (
            ROW_2.replace("01/02/1990", "02/31/1990")
            .replace("0412 345 678", "call me")
            .replace("jane@example.com", "jane@@example")
        )
        batch = run(crm, write_file("issues.csv", csv_text(row)))
        assert (batch.created, batch.rejected, batch.with_issues) == (1, 0, 1)
        record = SourceRecord.objects.get()
        assert record.date_of_birth is None
        assert record.phone == ""
        assert record.email == ""
        assert set(record.quality_issues) == {"date_of_birth", "phone", "email"}
        assert "02/31/1990" in record.quality_issues["date_of_birth"]
        assert "call me" in record.quality_issues["phone"]
        assert record.raw["Birthdate"] == "02/31/1990"

    def test_bad_updated_at_is_a_quality_issue(self, crm, write_file):
        batch = run(crm, write_file("ts.csv", csv_text(ROW_2.replace("2026-01-01T10:00:00Z", "yesterday"))))
        assert batch.created == 1
        record = SourceRecord.objects.get()
        assert record.source_updated_at is None
        assert "yesterday" in record.quality_issues["updated_at"]

    def test_values_too_long_for_a_column_are_flagged(self, crm, write_file):
        batch = run(crm, write_file("long.csv", csv_text(ROW_2.replace("Perth", "P" * 500))))
        assert batch.created == 1
        record = SourceRecord.objects.get()
        assert record.city == ""
        assert "too long" in record.quality_issues["city"]

    def test_bom_and_crlf_line_endings(self, crm, write_file):
        content = "\ufeff" + csv_text(ROW_1, ROW_2, newline="\r\n")
        batch = run(crm, write_file("bom.csv", content.encode("utf-8")))
        assert (batch.created, batch.rejected) == (2, 0)
        record = SourceRecord.objects.get(external_id="003A")
        assert "Id" in record.raw
        assert record.raw["LeadSource"] == "Web"

    def test_quoted_newlines_keep_line_numbers_right(self, crm, write_file):
        multi = ROW_2.replace("1 Main Rd", '"1 Main Rd\nRear entrance"')
        batch = run(crm, write_file("multi.csv", csv_text(multi, "003Z,short")))
        assert batch.created == 1
        assert SourceRecord.objects.get().raw["MailingStreet"] == "1 Main Rd\nRear entrance"
        assert QuarantinedRow.objects.get().line_number == 4

    def test_oversized_field_is_quarantined_not_fatal(self, crm, write_file):
        huge = ROW_2.replace("Ad", "x" * 200_000)
        batch = run(crm, write_file("huge.csv", csv_text(huge, ROW_1)))
        assert batch.rejected == 1
        assert batch.created == 1
        assert "malformed CSV" in QuarantinedRow.objects.get().reasons[0]

    def test_empty_file_and_header_only_file(self, crm, write_file):
        assert run(crm, write_file("empty.csv", "")).rows_read == 0
        batch = run(crm, write_file("header.csv", HEADER + "\n\n\n"))
        assert (batch.rows_read, batch.status) == (0, BatchStatus.SUCCEEDED)

    def test_unreadable_files_raise_and_leave_a_failed_batch(self, crm, write_file, tmp_path):
        with pytest.raises(UnreadableFile, match="no such file"):
            run(crm, tmp_path / "missing.csv")
        with pytest.raises(UnreadableFile, match="unknown file type"):
            run(crm, write_file("data.xlsx", "x"))
        with pytest.raises(UnreadableFile, match="duplicate column names"):
            run(crm, write_file("dupcols.csv", "Id,Id\n1,2\n"))
        failed = ImportBatch.objects.get(file_name="missing.csv")
        assert failed.status == BatchStatus.FAILED
        assert "no such file" in failed.error


@pytest.mark.django_db
class TestJsonLines:
    def test_json_lines_rows_and_bad_lines(self, crm, write_file):
        good = {
            "Id": 7,
            "FirstName": "Zoë",
            "LastName": "Müller",
            "Email": "zoe@example.de",
            "Extra": {"a": 1},
        }
        nested_name = {"Id": "8", "FirstName": {"first": "x"}, "LastName": "Lee"}
        lines = [
            json.dumps(good),
            "",
            "[1, 2]",
            "{not json",
            json.dumps({"FirstName": "NoId"}),
            json.dumps(nested_name),
        ]
        batch = run(crm, write_file("crm.jsonl", "\n".join(lines) + "\n"))
        assert (batch.rows_read, batch.created, batch.rejected) == (5, 2, 3)
        assert_counts_add_up(batch)
        record = SourceRecord.objects.get(external_id="7")
        assert (record.given_name, record.family_name) == ("Zoë", "Müller")
        assert record.raw["Extra"] == {"a": 1}
        assert "expected a text value" in SourceRecord.objects.get(external_id="8").quality_issues["given_name"]
        reasons = {r.line_number: r.reasons[0] for r in QuarantinedRow.objects.filter(batch=batch)}
        assert reasons[3] == "expected a JSON object, found list"
        assert reasons[4].startswith("invalid JSON")
        assert reasons[5] == "no id field 'Id' in the row"

    def test_deeply_nested_json_is_quarantined(self, crm, write_file):
        deep = '{"Id": "1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
        batch = run(crm, write_file("deep.jsonl", deep + "\n"))
        assert batch.rejected == 1


@pytest.mark.django_db
class TestCommand:
    def test_prints_counts_and_a_json_summary(self, crm, write_file, capsys):
        path = write_file("crm.csv", csv_text(ROW_1, ROW_2, "003Z,short"))
        call_command("import_records", "crm", str(path), "--json")
        lines = capsys.readouterr().out.strip().splitlines()
        assert "2 created, 0 updated, 0 unchanged, 0 stale, 1 rejected" in lines[0]
        summary = json.loads(lines[-1])
        assert summary["created"] == 2
        assert summary["rejected"] == 1
        assert summary["rows"] == 3
        assert summary["seconds"] >= 0

    def test_unknown_source_and_unreadable_file_are_errors(self, crm, write_file, tmp_path):
        path = write_file("crm.csv", csv_text(ROW_1))
        with pytest.raises(CommandError, match="unknown source 'nope'"):
            call_command("import_records", "nope", str(path))
        with pytest.raises(CommandError, match="no such file"):
            call_command("import_records", "crm", str(tmp_path / "gone.csv"))
