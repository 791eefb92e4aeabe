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
