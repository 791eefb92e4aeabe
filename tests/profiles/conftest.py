"""A small generated multi-source data set, imported through the normal path."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.datagen import generate

PEOPLE = 600


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("generated")
    generate(PEOPLE, 3, directory)
    return directory


@pytest.fixture
def imported(db, generated):
    """Every generated source file imported; returns the data directory."""
    from connectors.models import SourceSystem
    from connectors.services.records import records_import
    from governance.services import catalog_load

    catalog_load(path=generated / "catalog.yaml")
    for source in SourceSystem.objects.all():
        path = next(p for p in generated.iterdir() if p.stem == source.code and p.suffix in (".csv", ".jsonl"))
        records_import(source=source, path=path, actor="test")
    return generated


class GoldenBuilder:
    """Sources, source records and golden records made by hand, for survivorship and steward tests."""

    def __init__(self) -> None:
        self.counter = 0

    def source(self, code: str, trust: float = 0.5):
        from connectors.models import SourceSystem

        return SourceSystem.objects.get_or_create(
            code=code, defaults={"name": code.upper(), "trust": trust, "id_field": "id"}
        )[0]

    def record(
        self, source, *, customer=None, updated_at=None, received_at="2026-01-01T00:00:00Z", issues=None, **attrs
    ):
        from connectors.models import SourceRecord

        self.counter += 1
        if isinstance(source, str):
            source = self.source(source)
        return SourceRecord.objects.create(
            source=source,
            external_id=attrs.pop("external_id", f"R{self.counter}"),
            received_at=received_at,
            source_updated_at=updated_at,
            content_hash=f"h{self.counter}",
            quality_issues=issues or {},
            customer=customer,
            pending_resolution=False,
            **attrs,
        )

    def customer(self, *records, recompute: bool = True):
        """A golden record holding these records, its golden values computed."""
        from connectors.models import SourceRecord
        from profiles.choices import ChangeKind
        from profiles.models import Customer
        from profiles.services.changes import RECORDS_FIELD, Change
        from profiles.services.golden import golden_records_recompute

        customer = Customer.objects.create()
        SourceRecord.objects.filter(pk__in=[r.pk for r in records]).update(customer=customer)
        if recompute:
            created = Change(customer.pk, ChangeKind.CREATED, changed_fields=[RECORDS_FIELD])
            golden_records_recompute(customer_ids=[customer.pk], actor="test", intents={customer.pk: created})
        customer.refresh_from_db()
        return customer


@pytest.fixture
def build(db) -> GoldenBuilder:
    return GoldenBuilder()


def golden_values(customer) -> dict[str, str]:
    from profiles.models import GoldenAttribute

    return dict(GoldenAttribute.objects.filter(customer=customer).values_list("attribute", "value"))


def golden_row(customer, attribute):
    from profiles.models import GoldenAttribute

    return GoldenAttribute.objects.get(customer=customer, attribute=attribute)
