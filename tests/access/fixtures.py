"""API token fixtures shared by the API tests (imported by their conftest files)."""

from __future__ import annotations

import pytest


@pytest.fixture
def issue_token(db):
    """Issue a token: `issue_token("read")` -> (ApiToken, plain text)."""
    from access.services import api_token_issue

    def issue(scope: str = "read", source=None, name: str | None = None):
        return api_token_issue(name=name or f"test-{scope}", scope=scope, source=source, actor="test")

    return issue


@pytest.fixture
def token_client(issue_token):
    """An APIClient sending a new token of the scope: `token_client("write", source=crm)`."""
    from rest_framework.test import APIClient

    def make(scope: str = "read", source=None):
        token, plain = issue_token(scope, source)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
        client.token = token
        client.plain_token = plain
        return client

    return make


@pytest.fixture
def anon_client():
    from rest_framework.test import APIClient

    return APIClient()
