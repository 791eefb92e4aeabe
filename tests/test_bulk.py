"""bulk_update_by_pk writes exactly the given values, on SQLite and PostgreSQL alike."""

from datetime import date

import pytest
from django.db import transaction

from connectors.models import SourceRecord
from mdm.bulk import bulk_update_by_pk


@pytest.mark.django_db
def test_updates_only_the_rows_and_fields_given(crm):
    records = [
        SourceRecord.objects.create(
            source=crm, external_id=str(i), received_at="2026-01-01T00:00:00Z", content_hash="h"
        )
        for i in range(3)
    ]
    with transaction.atomic():
        count = bulk_update_by_pk(
            SourceRecord,
            ["given_name", "date_of_birth", "quality_issues", "pending_resolution"],
            [(records[0].pk, "Ann", date(1990, 1, 2), {"phone": "bad"}, False), (records[2].pk, "Cy", None, {}, False)],
        )
    assert count == 2
    first, second, third = (SourceRecord.objects.get(pk=r.pk) for r in records)
    assert (first.given_name, first.date_of_birth, first.quality_issues, first.pending_resolution) == (
        "Ann",
        date(1990, 1, 2),
        {"phone": "bad"},
        False,
    )
    assert (second.given_name, second.pending_resolution) == ("", True)
    assert (third.given_name, third.date_of_birth, third.quality_issues) == ("Cy", None, {})
    assert bulk_update_by_pk(SourceRecord, ["given_name"], []) == 0


@pytest.mark.django_db
def test_many_rows_and_different_column_sets_in_one_transaction(crm):
    records = SourceRecord.objects.bulk_create(
        SourceRecord(source=crm, external_id=str(i), received_at="2026-01-01T00:00:00Z", content_hash="h")
        for i in range(450)
    )
    with transaction.atomic():
        bulk_update_by_pk(SourceRecord, ["given_name"], [(r.pk, f"n{i}") for i, r in enumerate(records)])
        bulk_update_by_pk(SourceRecord, ["family_name", "birth_year"], [(r.pk, "Lee", 1980) for r in records[:300]])
        bulk_update_by_pk(SourceRecord, ["given_name"], [(records[0].pk, "again")])
    stored = {r.external_id: (r.given_name, r.family_name, r.birth_year) for r in SourceRecord.objects.all()}
    assert stored["0"] == ("again", "Lee", 1980)
    assert stored["299"] == ("n299", "Lee", 1980)
    assert stored["449"] == ("n449", "", None)
