"""`/api/v1/integrations/`: the catalog with live health, the catalog page's filters, token auth."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.choices import BatchStatus
from governance.services.policies import policies_evaluate


@pytest.fixture
def api(db):
    return APIClient()


@pytest.fixture
def read_token(db):
    from access.services import api_token_issue

    _, plain = api_token_issue(name="bi", scope="read", actor="admin")
    return plain


@pytest.fixture
def live(sources, make_batch):
    """crm: synced a minute ago (40 rows, 4 quarantined) after a failed run; erp: never synced."""
    now = timezone.now()
    make_batch(sources["crm"], finished_at=now - timedelta(minutes=1), rows_read=40, rejected=4)
    make_batch(sources["crm"], finished_at=now - timedelta(minutes=2), status=BatchStatus.FAILED, rows_read=0)
    policies_evaluate(actor="test")
    return sources


@pytest.mark.django_db
class TestIntegrationsApi:
    def test_no_token_is_401(self, api, live):
        response = api.get("/api/v1/integrations/")
        assert response.status_code == 401
        assert "detail" in response.json()
        assert api.get("/api/v1/integrations/crm/").status_code == 401
        assert api.get("/api/v1/integrations/", HTTP_AUTHORIZATION="Token nope").status_code == 401

    def test_list_with_live_health(self, api, live, read_token):
        api.credentials(HTTP_AUTHORIZATION=f"Token {read_token}")
        response = api.get("/api/v1/integrations/")
        assert response.status_code == 200
        body = response.json()
        assert [i["code"] for i in body["results"]] == ["crm", "erp"]
        crm, erp = body["results"]
        assert crm["pattern"] == "event-driven" and crm["cadence"] == "PT5M" and crm["owner"] == "sales-ops"
        assert crm["domains"] == ["customer"] and crm["classification"] == ["pii"]
        health = crm["health"]
        assert health["freshness"] == "fresh"
        assert 55 <= health["lag_seconds"] <= 120
        assert (health["runs"], health["failed_runs"], health["error_rate"]) == (2, 1, 0.5)
        assert (health["rows_read"], health["rejected"], health["quarantine_rate"]) == (40, 4, 0.1)
        assert health["failing"] is False
        assert crm["findings"] == {"open": 0, "error": 0, "warning": 0, "info": 0}
        assert erp["health"]["freshness"] == "never" and erp["health"]["last_success_at"] is None
        assert erp["findings"]["open"] == 2 and erp["findings"]["error"] == 1  # no owner; never synced

    def test_filters_are_the_catalog_pages(self, api, live, read_token):
        api.credentials(HTTP_AUTHORIZATION=f"Token {read_token}")
        codes = lambda query: [i["code"] for i in api.get(f"/api/v1/integrations/?{query}").json()["results"]]  # noqa: E731
        assert codes("pattern=batch") == ["erp"]
        assert codes("health=fresh") == ["crm"]
        assert codes("health=never") == ["erp"]
        assert codes("owner=sales-ops") == ["crm"]
        assert codes("classification=pii") == ["crm"]
        assert codes("q=ERP") == ["erp"]
        bad = api.get("/api/v1/integrations/?pattern=carrier-pigeon")
        assert bad.status_code == 400 and "pattern" in bad.json()

    def test_cursor_pagination(self, api, live, read_token):
        api.credentials(HTTP_AUTHORIZATION=f"Token {read_token}")
        first = api.get("/api/v1/integrations/?limit=1").json()
        assert [i["code"] for i in first["results"]] == ["crm"]
        second = api.get(first["next"]).json()
        assert [i["code"] for i in second["results"]] == ["erp"] and second["next"] is None
        assert api.get("/api/v1/integrations/?cursor=garbage").status_code == 400

    def test_detail(self, api, live, read_token):
        api.credentials(HTTP_AUTHORIZATION=f"Token {read_token}")
        response = api.get("/api/v1/integrations/erp/")
        assert response.status_code == 200
        erp = response.json()
        assert erp["code"] == "erp" and erp["health"]["freshness"] == "never"
        assert {f["rule"] for f in erp["open_findings"]} == {"production-declared", "freshness-sla"}
        assert erp["blast_radius"] == {
            "golden_records": 0,
            "consumers": [{"ref": "api-token:bi", "kind": "api-token", "name": "bi"}],
        }
        assert erp["trust_suggestion"] == {"current": 0.8, "suggested": None}
        missing = api.get("/api/v1/integrations/nope/")
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]

    def test_query_budget(self, api, live, read_token, django_assert_max_num_queries):
        api.credentials(HTTP_AUTHORIZATION=f"Token {read_token}")
        with django_assert_max_num_queries(12):
            assert api.get("/api/v1/integrations/").status_code == 200

    def test_schema_documents_the_endpoints(self, api, read_token):
        api.credentials(HTTP_AUTHORIZATION=f"Token {read_token}")
        response = api.get(reverse("api-schema"), {"format": "json"})
        assert response.status_code == 200
        paths = response.json()["paths"]
        assert "/api/v1/integrations/" in paths and "/api/v1/integrations/{code}/" in paths
        parameters = {p["name"] for p in paths["/api/v1/integrations/"]["get"]["parameters"]}
        assert {"pattern", "health", "owner", "cursor"} <= parameters
