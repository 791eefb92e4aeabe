"""API clients with tokens, and a small resolved data set to upsert against."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.datagen import generate

PEOPLE = 150


@pytest.fixture
def api(db):
    """A REST client; `api.token(scope, source=None)` authenticates it with a new token."""
    from rest_framework.test import APIClient

    from access.services import api_token_issue

    client = APIClient()

    def token(scope: str, source=None, name: str = "test-token"):
        _, plain = api_token_issue(name=name, scope=scope, source=source, actor="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
        return plain

    client.token = token
    return client


@pytest.fixture(scope="session")
def generated_small(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("generated-api")
    generate(PEOPLE, 5, directory)
    return directory


@pytest.fixture(scope="session")
def model_parameters(django_db_setup, django_db_blocker, generated_small) -> dict:
    """The parameters of a matching model fitted once on the generated data, in a transaction
    rolled back at once: tests that need real-time resolution install it without the data."""
    from django.db import transaction

    from profiles.models import MatchModel

    with django_db_blocker.unblock(), transaction.atomic():
        _import_and_resolve(generated_small)
        parameters = MatchModel.objects.get(is_active=True).parameters
        transaction.set_rollback(True)
    return parameters


@pytest.fixture
def match_model(db, model_parameters):
    """An active matching model (fitted on other data), so upserts are resolved in real time."""
    from profiles.choices import ModelKind
    from profiles.models import MatchModel

    return MatchModel.objects.create(kind=ModelKind.FELLEGI_SUNTER, parameters=model_parameters, is_active=True)


def _import_and_resolve(directory: Path) -> None:
    from connectors.models import SourceSystem
    from connectors.services.records import records_import
    from governance.services import catalog_load
    from profiles.choices import RunMode, RunStatus
    from profiles.services.resolution import resolve_now

    catalog_load(path=directory / "catalog.yaml")
    for source in SourceSystem.objects.all():
        path = next(p for p in directory.iterdir() if p.stem == source.code and p.suffix in (".csv", ".jsonl"))
        records_import(source=source, path=path, actor="test")
    run = resolve_now(mode=RunMode.INCREMENTAL, actor="test")
    assert run.status == RunStatus.SUCCEEDED, run.error


@pytest.fixture
def resolved(db, generated_small):
    """The generated sources imported and resolved (so a matching model is active)."""
    from connectors.models import SourceSystem

    _import_and_resolve(generated_small)
    return {s.code: s for s in SourceSystem.objects.all()}
