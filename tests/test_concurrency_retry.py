"""A deadlock or serialisation failure in an API upsert is retried, then answered 503 with
Retry-After: never a 500. The database error is injected (a real one needs two connections;
tests/test_concurrency.py drives real contention on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from connectors.models import ImportBatch, SourceRecord
from tests.access.fixtures import issue_token, token_client  # noqa: F401


class _Deadlock(Exception):
    sqlstate = "40P01"


def _deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = _Deadlock("deadlock detected")
    return error


@pytest.fixture
def writer(token_client, crm):  # noqa: F811
    client = token_client("write", source=crm)
    client.raise_request_exception = False
    return client


@pytest.fixture
def flaky_upsert(monkeypatch):
    """Make the first `failures` calls of the upsert service fail as a deadlock would."""
    from profiles.api import source_records

    real = source_records.source_records_upsert
    calls = {"n": 0}

    def install(failures: int) -> dict[str, int]:
        def upsert(**kwargs):
            calls["n"] += 1
            if calls["n"] <= failures:
                raise _deadlock()
            return real(**kwargs)

        monkeypatch.setattr(source_records, "source_records_upsert", upsert)
        return calls

    return install


RECORD = {"Id": "R1", "FirstName": "Ada", "LastName": "Lovelace", "LastModified": "2030-01-01T00:00:00Z"}


@pytest.mark.django_db
def test_a_deadlock_is_retried_and_the_write_lands_once(writer, flaky_upsert):
    calls = flaky_upsert(1)
    response = writer.post("/api/v1/sources/crm/records/", RECORD, format="json")
    assert response.status_code == 200, response.content
    assert calls["n"] == 2
    assert SourceRecord.objects.filter(external_id="R1").count() == 1


@pytest.mark.django_db
def test_a_lasting_deadlock_is_a_503_with_retry_after_and_writes_nothing(writer, flaky_upsert):
    from profiles.api.source_records import UPSERT_ATTEMPTS

    calls = flaky_upsert(UPSERT_ATTEMPTS)
    response = writer.post("/api/v1/sources/crm/records/", RECORD, format="json")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "deadlock" in response.json()["detail"]
    assert calls["n"] == UPSERT_ATTEMPTS
    assert not SourceRecord.objects.filter(external_id="R1").exists()
    assert not ImportBatch.objects.filter(file_name="api", status="succeeded").exists()


@pytest.mark.django_db
def test_other_database_errors_are_not_retried(writer, monkeypatch):
    from profiles.api import source_records

    def broken(**kwargs):
        raise OperationalError("disk full")

    monkeypatch.setattr(source_records, "source_records_upsert", broken)
    response = writer.post("/api/v1/sources/crm/records/", RECORD, format="json")
    assert response.status_code == 500  # a real fault stays visible, it is not dressed up as "busy"
