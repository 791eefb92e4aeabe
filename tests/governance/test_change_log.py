"""The change log: every change to registry data with actor, time and field-level before/after."""

from __future__ import annotations

import getpass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from connectors.models import SourceSystem
from governance.choices import ChangeAction
from governance.models import Integration, ObjectChange, PolicyRule, Team


def changes_of(model, **filters) -> list[ObjectChange]:
    return list(
        ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(model), **filters).order_by("id")
    )


@pytest.mark.django_db
class TestCatalogChanges:
    def test_creating_records_every_object_with_its_values(self, apply_catalog):
        apply_catalog(actor="cli:alice")
        (created,) = changes_of(Integration, object_repr__startswith="crm")
        assert (created.action, created.actor, created.before) == (ChangeAction.CREATE, "cli:alice", None)
        assert created.after["cadence"] == "PT5M"
        assert created.after["owner"] == "sales-ops"
        assert created.after["domains"] == ["customer"]
        assert created.after["source"] == "crm"
        assert "updated_at" not in created.after
        assert {c.object_repr for c in changes_of(SourceSystem)} == {"crm", "erp"}
        assert [c.after["slug"] for c in changes_of(Team)] == ["sales-ops"]

    def test_a_changed_field_is_recorded_with_before_and_after(self, apply_catalog):
        apply_catalog(actor="cli:alice")
        marker = ObjectChange.objects.order_by("-id").first().pk
        apply_catalog(
            actor="cli:bob",
            integration__cadence="PT10M",
            integration__owner="crm-platform",
            mapping__email="EmailAddress",
        )
        new = list(ObjectChange.objects.filter(pk__gt=marker).order_by("id"))
        assert [(c.action, c.object_repr) for c in new] == [
            (ChangeAction.UPDATE, "crm"),
            (ChangeAction.CREATE, "crm-platform"),
            (ChangeAction.UPDATE, "crm (event-driven)"),
        ]
        source_change, _, integration_change = new
        assert all(c.actor == "cli:bob" for c in new)
        assert integration_change.diff() == [("cadence", "PT5M", "PT10M"), ("owner", "sales-ops", "crm-platform")]
        assert source_change.diff() == [
            ("mapping.email", {"field": "Email", "format": None}, {"field": "EmailAddress", "format": None})
        ]
        assert integration_change.time >= source_change.time

    def test_loading_the_same_catalog_again_records_nothing(self, apply_catalog):
        apply_catalog()
        count = ObjectChange.objects.count()
        apply_catalog()
        assert ObjectChange.objects.count() == count

    def test_the_command_records_the_login_as_actor(self, catalog_path):
        call_command("load_catalog", str(catalog_path))
        assert {c.actor for c in ObjectChange.objects.all()} == {f"cli:{getpass.getuser()}"}


@pytest.mark.django_db
class TestAdminChanges:
    @pytest.fixture
    def admin_client(self, client, make_user):
        user = make_user("root", "admin")
        user.is_staff = True
        user.save()
        client.force_login(user)
        return client

    def test_editing_an_integration_in_admin_is_logged_with_the_admin(self, admin_client, sources):
        integration = Integration.objects.get(source__code="erp")
        url = reverse("admin:governance_integration_change", args=[integration.pk])
        assert admin_client.get(url).status_code == 200
        response = admin_client.post(
            url,
            {
                "source": integration.source_id,
                "pattern": "batch",
                "direction": "inbound",
                "cadence": "12:00:00",
                "owner": "",
                "steward": "erp@example.com",
                "classification": '["financial"]',
                "lifecycle": "production",
                "protocol": "sftp",
                "endpoint": "",
                "docs_url": "",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        (change,) = changes_of(Integration, object_id=integration.pk, action=ChangeAction.UPDATE)
        assert change.actor == "root"
        assert change.diff() == [
            ("cadence", "P1D", "PT12H"),
            ("steward", "", "erp@example.com"),
            ("classification", [], ["financial"]),
            ("protocol", "", "sftp"),
        ]

    def test_switching_a_rule_in_the_admin_list_is_logged(self, admin_client):
        rules = list(PolicyRule.objects.order_by("code"))
        data = {"form-TOTAL_FORMS": len(rules), "form-INITIAL_FORMS": len(rules), "_save": "Save"}
        for i, rule in enumerate(rules):
            data[f"form-{i}-id"] = rule.pk
            data[f"form-{i}-severity"] = rule.severity
            if rule.enabled and rule.code != "pii-steward":
                data[f"form-{i}-enabled"] = "on"
        response = admin_client.post(reverse("admin:governance_policyrule_changelist"), data)
        assert response.status_code == 302
        assert not PolicyRule.objects.get(code="pii-steward").enabled
        (change,) = changes_of(PolicyRule)
        assert (change.actor, change.object_repr, change.diff()) == ("root", "pii-steward", [("enabled", True, False)])
        assert admin_client.get(reverse("admin:governance_policyrule_add")).status_code == 403
