"""Governance pages: overview and catalog with filters, integration page; viewers and stewards."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone

from connectors.choices import BatchStatus
from connectors.models import SourceSystem
from governance.services import catalog_load
from governance.services.policies import policies_evaluate
from tests.governance.conftest import catalog_data


@pytest.fixture
def viewer_client(client, make_user):
    client.force_login(make_user("vic", "viewer"))
    return client


@pytest.fixture
def live(sources, make_batch):
    """crm synced a minute ago with a failed run and quarantined rows; erp never synced; findings evaluated."""
    now = timezone.now()
    make_batch(sources["crm"], finished_at=now - timedelta(minutes=1), rows_read=40, rejected=4)
    make_batch(sources["crm"], finished_at=now - timedelta(minutes=2), status=BatchStatus.FAILED, rows_read=0)
    policies_evaluate(actor="task:health_check")
    return sources


def listed(page: str) -> set[str]:
    """Source codes in the catalog table."""
    return {code for code in ("crm", "erp") if f'<tr id="integration-{code}">' in page}


@pytest.mark.django_db
class TestOverview:
    @pytest.mark.parametrize("client_fixture", ["viewer_client", "steward_client"])
    def test_viewer_and_steward_see_the_catalog_health_and_findings(self, request, client_fixture, live):
        client = request.getfixturevalue(client_fixture)
        response = client.get(reverse("governance"))
        assert response.status_code == 200
        page = response.content.decode()
        assert listed(page) == {"crm", "erp"}
        assert "Event-driven" in page
        assert "sales-ops" in page
        assert "no owner" in page
        assert '<span class="gov-badge gov-fresh-fresh"' in page  # crm
        assert '<span class="gov-badge gov-fresh-never"' in page  # erp
        assert "50.0%" in page  # crm: one run of two failed
        assert "10.0%" in page  # crm: 4 of 40 rows quarantined
        assert "declares no owner" in page  # erp's open finding
        assert "<code>production-declared</code>" in page
        assert "Switch rules and set severities in admin" not in page  # admins only

    def test_admin_gets_the_link_to_switch_rules(self, client, make_user, live):
        client.force_login(make_user("ada", "admin"))
        assert "Switch rules and set severities in admin" in client.get(reverse("governance")).content.decode()

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"pattern": "batch"}, {"erp"}),
            ({"pattern": "event-driven"}, {"crm"}),
            ({"owner": "sales-ops"}, {"crm"}),
            ({"domain": "customer"}, {"crm"}),
            ({"classification": "pii"}, {"crm"}),
            ({"health": "fresh"}, {"crm"}),
            ({"health": "never"}, {"erp"}),
            ({"health": "stale"}, set()),
            ({"lifecycle": "production"}, {"crm", "erp"}),
            ({"q": "ERP"}, {"erp"}),
            ({"q": "ops@example"}, {"crm"}),
            ({"q": "custom"}, {"crm"}),  # by domain
            ({"q": "  "}, {"crm", "erp"}),
        ],
    )
    def test_filters(self, steward_client, live, query, expected):
        page = steward_client.get(reverse("governance"), query).content.decode()
        assert listed(page) == expected

    def test_bad_filter_values_answer_200_with_a_message(self, steward_client, live):
        response = steward_client.get(
            reverse("governance"), {"health": "zombie", "owner": "ghosts", "pattern": "batch"}
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "Select a valid choice" in page
        assert listed(page) == {"erp"}  # the valid filter still applies
        assert (
            "No integrations match these filters."
            in steward_client.get(reverse("governance"), {"q": "nothing-like-this"}).content.decode()
        )

    def test_query_budget_does_not_grow_with_the_catalog(
        self, steward_client, live, write_file, django_assert_max_num_queries
    ):
        # session, user, role; health, integrations, domains, overview, findings, rules, filter choices,
        # consumers (webhook subscriptions, read tokens)
        with django_assert_max_num_queries(16):
            steward_client.get(reverse("governance"))
        data = catalog_data()
        template = data["sources"][0]
        for n in range(12):
            data["sources"].append(
                {**template, "code": f"crm{n}", "integration": {**template["integration"], "owner": f"team-{n}"}}
            )
        catalog_load(path=write_file("many.yaml", yaml.safe_dump(data)))
        policies_evaluate(actor="test")
        with django_assert_max_num_queries(17):  # one more: the classification filter's lookup
            page = steward_client.get(
                reverse("governance"), {"health": "never", "q": "crm", "classification": "pii"}
            ).content.decode()
        assert "crm11" in page
        # 13 before, plus consumers (2), survivorship figures (6), blast radius (2), rules for lineage (1)
        with django_assert_max_num_queries(24):
            steward_client.get(reverse("integration-detail", args=["crm11"]))


@pytest.mark.django_db
class TestIntegrationPage:
    @pytest.mark.parametrize("client_fixture", ["viewer_client", "steward_client"])
    def test_declaration_health_scorecard_findings_and_history(self, request, client_fixture, live, make_record):
        make_record(live["crm"], email="a@x.com", given_name="A")
        client = request.getfixturevalue(client_fixture)
        response = client.get(reverse("integration-detail", args=["crm"]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>Sales CRM <small>crm</small>" in page
        assert "group:sales-ops" in page and "domain:customer" in page and "provides" in page
        assert "<code>PT5M</code>" in page
        assert 'class="gov-chart"' in page
        assert "bar-fill h100 gov-bar-mixed" in page  # today: one run succeeded, one failed
        assert "gov-bar-none" in page
        assert "50.0%</strong> runs failed" in page
        assert "of the values it supplies win survivorship" in page
        assert "<td>email</td><td><code>Email</code></td>" in page
        assert "No findings: every enabled rule holds." in page
        assert "Created integration" in page
        assert "Edit this integration in admin" not in page

    def test_findings_and_field_level_changes_are_shown(self, steward_client, live, apply_catalog):
        apply_catalog(actor="cli:carol", integration__cadence="PT10M")
        page = steward_client.get(reverse("integration-detail", args=["erp"])).content.decode()
        assert "declares no owner" in page
        assert "never synced" in page
        crm_page = steward_client.get(reverse("integration-detail", args=["crm"])).content.decode()
        assert "cli:carol" in crm_page
        assert "<code>cadence</code>: <del>PT5M</del> → <ins>PT10M</ins>" in crm_page

    def test_unregistered_and_unknown_sources(self, steward_client, live):
        SourceSystem.objects.create(code="orphan", name="Orphan", id_field="id", mapping={})
        policies_evaluate(actor="test")
        page = steward_client.get(reverse("integration-detail", args=["orphan"])).content.decode()
        assert "<strong>unregistered</strong>" in page
        assert "registered-source" in page
        overview = steward_client.get(reverse("governance")).content.decode()
        assert 'href="/governance/orphan/">orphan</a>' in overview
        assert steward_client.get(reverse("integration-detail", args=["nope"])).status_code == 404
        assert steward_client.get("/governance/Not%20A%20Slug/").status_code == 404

    def test_login_required(self, client, live):
        response = client.get(reverse("integration-detail", args=["crm"]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
