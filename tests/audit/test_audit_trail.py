"""The audit trail: append-only entries for logins, failures, logouts and exports; one page that
searches them with customer events, rule changes and catalog changes; purging past retention."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AppendOnlyError, AuditEntry
from audit.services import audit_purge, audit_record
from connectors.models import SourceSystem

pytestmark = pytest.mark.django_db


def test_entries_are_append_only():
    entry = audit_record(actor="cli:ops", action="export.xrefs", target=("file", "x.csv"), params={"rows": 3})
    assert (entry.actor, entry.target_type, entry.target_id, entry.parameters) == (
        "cli:ops",
        "file",
        "x.csv",
        {"rows": 3},
    )
    entry.actor = "someone else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(actor="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor == "cli:ops"


def test_database_refuses_changes_on_postgresql():
    """Below the model too: on PostgreSQL a trigger refuses raw UPDATE and DELETE."""
    entry = audit_record(actor="cli:ops", action="export.xrefs")
    table = AuditEntry._meta.db_table
    statements = [f"UPDATE {table} SET actor = 'x' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"]
    for sql in statements:
        if connection.vendor == "postgresql":
            with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, actor="cli:ops").exists()


def test_logins_failures_and_logouts_are_recorded(client, make_user):
    make_user("alice", "viewer", password="correct-Horse-9")
    client.post(reverse("login"), {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("login"), {"username": "alice", "password": "correct-Horse-9"}, REMOTE_ADDR="10.1.2.3")
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    rows = list(AuditEntry.objects.order_by("id").values_list("action", "actor", "target_id", "ip"))
    assert rows == [
        (AuditAction.LOGIN_FAILED, "anonymous", "alice", "10.1.2.3"),
        (AuditAction.LOGIN, "alice", "alice", "10.1.2.3"),
        (AuditAction.LOGOUT, "alice", "alice", "10.1.2.3"),
    ]


def test_export_xrefs_is_recorded(tmp_path):
    call_command("export_xrefs", "--output", str(tmp_path / "x.csv"), stdout=StringIO())
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT_XREFS)
    assert entry.actor.startswith("cli:")
    assert entry.parameters == {"output": str(tmp_path / "x.csv"), "rows": 0}


def test_export_catalog_is_recorded(tmp_path, crm):
    call_command("export_catalog", "--output", str(tmp_path / "catalog.yaml"), stdout=StringIO(), stderr=StringIO())
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT_CATALOG)
    assert entry.actor.startswith("cli:")
    assert entry.parameters == {"output": str(tmp_path / "catalog.yaml"), "sources": SourceSystem.objects.count()}


@pytest.fixture
def history(crm):
    """One of each history: an audit entry, a customer event (a pin), a catalog change, a rule change."""
    from connectors.models import SourceRecord
    from profiles.models import Customer, SurvivorshipRule
    from profiles.services.values import survivorship_rule_update, value_pin

    customer = Customer.objects.create()
    SourceRecord.objects.create(
        source=crm,
        external_id="A1",
        email="a@x.example",
        received_at=timezone.now(),
        content_hash="h",
        customer=customer,
    )
    value_pin(customer=customer, attribute="email", value="pinned@x.example", actor="stew")
    survivorship_rule_update(rule=SurvivorshipRule.objects.get(attribute="email"), actor="boss", min_trust=0.3)
    audit_record(actor="cli:ops", action=AuditAction.EXPORT_XREFS, params={"rows": 7})
    return customer


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", "admin"))
    return client


def _actions(response) -> list[str]:
    return [row["action"] for row in response.context["rows"]]


def test_page_searches_every_history(admin_client, history):
    page = admin_client.get(reverse("audit-trail"))
    assert page.status_code == 200
    actions = _actions(page)
    assert {"export.xrefs", "customer.pinned", "rule.changed"} <= set(actions)
    assert any(a.startswith("catalog.") for a in actions)  # load_catalog's changes
    assert actions.index("export.xrefs") < actions.index("customer.pinned")  # newest first
    html = page.content.decode()
    assert f'href="{reverse("customer-detail", args=[history.pk])}"' in html

    assert _actions(admin_client.get(reverse("audit-trail"), {"actor": "stew"})) == ["customer.pinned"]
    assert set(_actions(admin_client.get(reverse("audit-trail"), {"action": "rule."}))) == {"rule.changed"}
    assert _actions(admin_client.get(reverse("audit-trail"), {"q": "pinned@x.example"})) == ["customer.pinned"]
    assert _actions(admin_client.get(reverse("audit-trail"), {"q": str(history.pk), "origin": "customer"})) == [
        "customer.pinned"
    ]
    catalog = _actions(admin_client.get(reverse("audit-trail"), {"origin": "catalog"}))
    assert catalog and all(a.startswith("catalog.") for a in catalog)
    today = timezone.localdate()
    assert _actions(admin_client.get(reverse("audit-trail"), {"until": str(today - timedelta(days=1))})) == []
    assert "export.xrefs" in _actions(admin_client.get(reverse("audit-trail"), {"since": str(today)}))


def test_page_paginates_and_rejects_bad_input_clearly(admin_client):
    for i in range(120):
        audit_record(actor=f"user{i}", action=AuditAction.EXPORT_XREFS)
    first = admin_client.get(reverse("audit-trail"), {"action": "export."})
    assert first.context["page"].paginator.count == 120 and len(first.context["rows"]) == 50
    third = admin_client.get(reverse("audit-trail"), {"action": "export.", "page": 3})
    assert [r["actor"] for r in third.context["rows"]][-1] == "user0"
    assert "action=export." in third.content.decode()  # page links keep the filters
    bad = admin_client.get(reverse("audit-trail"), {"since": "2026-13-45", "until": "yesterday"})
    assert bad.status_code == 200
    assert "Enter a valid date" in bad.content.decode()
    swapped = admin_client.get(reverse("audit-trail"), {"since": "2026-02-01", "until": "2026-01-01"})
    assert "must not be after" in swapped.content.decode()


@pytest.mark.parametrize("role", ["viewer", "steward"])
def test_page_is_for_admins_only(client, make_user, role):
    client.force_login(make_user(role, role))
    assert client.get(reverse("audit-trail")).status_code == 403
    client.logout()
    assert client.get(reverse("audit-trail")).status_code == 302


def test_purge_deletes_only_past_retention_and_is_audited(settings):
    settings.MDM_AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    old = AuditEntry.objects.create(actor="a", action="auth.login", time=now - timedelta(days=31))
    kept = AuditEntry.objects.create(actor="b", action="auth.login", time=now - timedelta(days=29))
    assert audit_purge(actor="cli:ops", dry_run=True)["would_purge"] == 1
    assert AuditEntry.objects.filter(pk=old.pk).exists()
    out = StringIO()
    call_command("audit_purge", "--json", stdout=out)
    assert '"purged": 1' in out.getvalue()
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=kept.pk).exists()
    purge = AuditEntry.objects.get(action=AuditAction.AUDIT_PURGED)
    assert purge.parameters["purged"] == 1 and purge.parameters["retention_days"] == 30
    # Nothing else left: purging again removes nothing (the purge entry itself is recent).
    assert audit_purge(actor="cli:ops")["purged"] == 0
