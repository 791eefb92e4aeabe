"""Authentication and scopes on small API views: 401 without (valid) credentials, 403 for too
weak a scope, sessions mapped from roles, source-bound tokens."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from access.services import api_token_revoke

pytestmark = pytest.mark.urls("tests.access.urls")


def test_no_credentials_is_401_with_detail(anon_client, db):
    response = anon_client.get("/api/v1/read/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header", ["Token not-a-token", "Token", "Token a b", "token nope"], ids=["unknown", "empty", "spaces", "case"]
)
def test_unknown_or_malformed_token_is_401(db, header):
    client = APIClient()
    response = client.get("/api/v1/read/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_revoked_token_is_401(token_client):
    client = token_client("steward")
    assert client.get("/api/v1/read/").status_code == 200
    api_token_revoke(token=client.token, actor="t")
    response = client.get("/api/v1/read/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Token revoked."}


@pytest.mark.parametrize(
    ("scope", "read", "steward", "mixed_get", "mixed_post"),
    [
        ("read", 200, 403, 200, 403),
        ("write", 200, 403, 200, 200),
        ("steward", 200, 200, 200, 403),
    ],
)
def test_scope_matrix(token_client, scope, read, steward, mixed_get, mixed_post):
    client = token_client(scope)
    assert client.get("/api/v1/read/").status_code == read
    response = client.get("/api/v1/steward/")
    assert response.status_code == steward
    if steward == 403:
        assert response.json() == {"detail": "This request needs the 'steward' scope."}
    assert client.get("/api/v1/mixed/").status_code == mixed_get
    assert client.post("/api/v1/mixed/", {}, format="json").status_code == mixed_post


def test_an_unlisted_unsafe_method_needs_write(token_client):
    assert token_client("steward").put("/api/v1/mixed/", {}).status_code == 403
    assert token_client("write").put("/api/v1/mixed/", {}).status_code == 200


def test_last_used_is_recorded(token_client):
    client = token_client("read")
    assert client.token.last_used_at is None
    client.get("/api/v1/read/")
    client.token.refresh_from_db()
    assert client.token.last_used_at is not None


def test_source_bound_token(token_client, crm):
    bound = token_client("write", source=crm)
    assert bound.post("/api/v1/mixed/", {"source": "crm"}).json()["source_allowed"] is True
    assert bound.post("/api/v1/mixed/", {"source": "erp"}).json()["source_allowed"] is False
    free = token_client("write")
    assert free.post("/api/v1/mixed/", {"source": "erp"}).json()["source_allowed"] is True


@pytest.mark.parametrize(
    ("role", "superuser", "read", "steward", "write"),
    [
        ("viewer", False, 200, 403, 403),
        ("steward", False, 200, 200, 403),
        ("admin", False, 200, 200, 200),
        (None, True, 200, 200, 200),
        (None, False, 403, 403, 403),
    ],
)
def test_session_users_get_scopes_from_roles(make_user, role, superuser, read, steward, write):
    user = make_user(username="u", role=role)
    if superuser:
        user.is_superuser = True
        user.save()
    client = APIClient()
    client.force_authenticate(user=None)
    client.force_login(user)
    assert client.get("/api/v1/read/").status_code == read
    assert client.get("/api/v1/steward/").status_code == steward
    assert client.post("/api/v1/mixed/", {}, format="json").status_code == write


def test_session_posts_need_the_csrf_token(make_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user(username="a", role="admin"))
    response = client.post("/api/v1/mixed/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_an_unexpected_error_is_a_json_500_without_traceback(token_client):
    client = token_client("read")
    client.raise_request_exception = False
    response = client.get("/api/v1/broken/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Server error: the failure was logged."}
