"""Authentication and scopes on every read endpoint and the decision endpoint."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from access.services import api_token_revoke

READ_URLS = [
    "/api/v1/customers/",
    "/api/v1/customers/1/",
    "/api/v1/customers/1/timeline/",
    "/api/v1/changes/",
    "/api/v1/match-pairs/",
    "/api/v1/match-pairs/1/",
]
DECISION_URL = "/api/v1/match-pairs/1/decision/"


@pytest.mark.parametrize("url", READ_URLS)
def test_reads_need_a_valid_token(anon_client, token_client, url):
    missing = anon_client.get(url)
    assert missing.status_code == 401 and "detail" in missing.json()
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token mdm_nope")
    assert bad.get(url).status_code == 401
    client = token_client("read")
    assert client.get(url).status_code in (200, 404)
    api_token_revoke(token=client.token, actor="t")
    revoked = client.get(url)
    assert revoked.status_code == 401 and revoked.json() == {"detail": "Token revoked."}


@pytest.mark.parametrize("scope", ["read", "write", "steward"])
def test_every_scope_reads(token_client, scope):
    assert token_client(scope).get("/api/v1/customers/").status_code == 200


def test_decisions_need_the_steward_scope(anon_client, token_client):
    assert anon_client.post(DECISION_URL, {"decision": "match"}, format="json").status_code == 401
    for scope in ("read", "write"):
        assert token_client(scope).post(DECISION_URL, {"decision": "match"}, format="json").status_code == 403
    steward = token_client("steward")
    assert steward.post(DECISION_URL, {"decision": "match"}, format="json").status_code == 404  # no such pair
    api_token_revoke(token=steward.token, actor="t")
    assert steward.post(DECISION_URL, {"decision": "match"}, format="json").status_code == 401


def test_reads_are_get_only(token_client):
    response = token_client("write").post("/api/v1/customers/", {}, format="json")
    assert response.status_code in (403, 405) and "detail" in response.json()
    assert token_client("steward").delete("/api/v1/changes/").status_code in (403, 405)
