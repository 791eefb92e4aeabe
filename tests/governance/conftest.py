"""Governance fixtures: import batches at chosen times, source records, a fixed `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from tests.conftest import CRM_CATALOG

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def make_batch(db):
    """An import batch of a source that finished at a given time (started 30 s earlier by default)."""
    from connectors.choices import BatchStatus
    from connectors.models import ImportBatch

    def make(source, *, finished_at, status=BatchStatus.SUCCEEDED, rows_read=10, rejected=0, started_at=None, error=""):
        batch = ImportBatch.objects.create(
            source=source, actor="test", status=status, rows_read=rows_read, rejected=rejected, error=error
        )
        started_at = started_at or (finished_at - timedelta(seconds=30) if finished_at else NOW)
        ImportBatch.objects.filter(pk=batch.pk).update(started_at=started_at, finished_at=finished_at)
        batch.refresh_from_db()
        return batch

    return make


@pytest.fixture
def make_record(db):
    """A source record with chosen canonical values and quality issues, as an import would leave it."""
    from connectors.models import SourceRecord

    counter = iter(range(1, 10_000))

    def make(source, *, customer=None, is_deleted=False, quality_issues=None, **values):
        n = next(counter)
        return SourceRecord.objects.create(
            source=source,
            external_id=f"R{n}",
            raw={k: str(v) for k, v in values.items()},
            received_at=NOW,
            content_hash=f"{n:064d}",
            customer=customer,
            is_deleted=is_deleted,
            quality_issues=quality_issues or {},
            **values,
        )

    return make


def catalog_data(**changes) -> dict:
    """The shared test catalog (crm, erp) with keys of crm's entry replaced (`integration__owner=...`)."""
    data = yaml.safe_load(CRM_CATALOG)
    for dotted, value in changes.items():
        target = data["sources"][0]
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return data


@pytest.fixture
def apply_catalog(db):
    """Apply the test catalog with changes to crm's entry, as `load_catalog` would."""
    from governance.catalog import catalog_parse
    from governance.services import catalog_apply

    def apply(actor: str = "test", **changes):
        return catalog_apply(catalog=catalog_parse(catalog_data(**changes)), actor=actor)

    return apply
