"""Property-based fuzzing of every API operation from the live OpenAPI schema (schemathesis):
no 5xx, and every response (status, content type, body) conforms to the schema.

The schema is loaded from the WSGI application itself, so endpoints added later are covered
without touching this file. Each request carries a token with the scope its view requires (a
steward token for reads and decisions, a write token for writes)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from access.permissions import required_scope_for

MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(db, build, issue_token):
    """Some golden records, a match pair and tokens, then the schema from the WSGI app.

    The WSGI client is not Django's test client: `close_old_connections` (on request start and
    end) would close the test's connection and its transaction, so it is disconnected meanwhile."""
    from mdm.wsgi import application
    from profiles.choices import PairStatus
    from profiles.models import MatchPair

    crm = build.source("crm", 0.9)
    erp = build.source("erp", 0.6)
    a = build.record(crm, external_id="C1", given_name="Ann", family_name="Lee", email="ann@x.example")
    b = build.record(erp, external_id="E1", given_name="Anne", family_name="Lee")
    build.customer(a)
    build.customer(b)
    MatchPair.objects.create(
        record_a=a, record_b=b, probability=0.7, match_weight=2.0, weights={}, status=PairStatus.REVIEW
    )
    tokens = {scope: issue_token(scope)[1] for scope in ("steward", "write")}
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
        schema.mdm_tokens = tokens
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def build():
    from tests.profiles.conftest import GoldenBuilder

    return GoldenBuilder()


def _token_for(case, tokens: dict[str, str]) -> str:
    """The token whose scope the operation's view requires (write for writes, else steward)."""
    try:
        match = resolve(case.formatted_path)
    except Resolver404:
        return tokens["steward"]
    view_class = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    scope = required_scope_for(view_class, case.method) if view_class else "read"
    return tokens["write"] if scope == "write" else tokens["steward"]


def _fuzz(operation, tokens: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers={"Authorization": f"Token {_token_for(case, tokens)}"}, checks=CHECKS)

    run()


def test_every_operation_conforms_to_the_schema(api_schema):
    """Every operation of the schema, fuzzed in turn (the schemathesis pytest plugin's lazy
    loader is not used: it does not run under pytest 9); failures are collected and reported
    together, one line per operation."""
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _fuzz(operation, api_schema.mdm_tokens)
        except Exception as exc:  # noqa: BLE001 - every operation is tried, failures listed together
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    assert operations >= 8, "the schema lists the API's operations"
    assert not failures, "\n\n".join(failures)
