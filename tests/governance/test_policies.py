"""Policy rules: each one firing and clearing; findings opened, kept, resolved, never duplicated."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.models import Schedule

from connectors.models import SourceSystem
from connectors.policies import WriteRefused
from connectors.services.records import records_import
from governance.choices import GovernanceEventType, Severity
from governance.constants import HEALTH_CHECK_SCHEDULE
from governance.models import Finding, GovernanceEvent, Integration, PolicyRule, Team
from governance.rules import RULES
from governance.services.policies import policies_evaluate, policy_rules_sync
from governance.services.schedules import schedules_ensure
from governance.tasks import HEALTH_CHECK_ACTOR, health_check_task
from tests.governance.conftest import NOW

M = timedelta(minutes=1)
H = timedelta(hours=1)


def open_findings(source_code: str | None = None) -> dict[str, Finding]:
    findings = Finding.objects.filter(resolved_at__isnull=True).select_related("rule", "source")
    if source_code:
        findings = findings.filter(source__code=source_code)
    return {f.rule.code: f for f in findings}


@pytest.fixture
def synced(sources, make_batch):
    """crm and erp both synced a minute ago: fresh, so freshness rules stay quiet."""
    for source in sources.values():
        make_batch(source, finished_at=NOW - M)
    return sources


@pytest.mark.django_db
class TestRules:
    def test_every_declared_rule_has_a_row_with_its_defaults(self):
        rows = {r.code: r for r in PolicyRule.objects.all()}  # created after migrate
        assert set(rows) == set(RULES)
        assert all(rows[code].enabled and rows[code].severity == rule.severity for code, rule in RULES.items())

    def test_production_declared_fires_without_owner_and_clears(self, synced, apply_catalog):
        policies_evaluate(actor="test", now=NOW)
        finding = open_findings("erp")["production-declared"]
        assert "declares no owner" in finding.message
        assert finding.severity == Severity.ERROR
        assert "production-declared" not in open_findings("crm")
        apply_catalog(integration__owner=None)  # crm loses its owner
        policies_evaluate(actor="test", now=NOW)
        assert "production-declared" in open_findings("crm")
        apply_catalog(integration__lifecycle="proposed", integration__owner=None)  # not production: no rule
        policies_evaluate(actor="test", now=NOW)
        assert "production-declared" not in open_findings("crm")
        erp = Integration.objects.get(source__code="erp")
        erp.owner = Team.objects.create(slug="finance")
        erp.save()
        policies_evaluate(actor="test", now=NOW)
        assert "production-declared" not in open_findings("erp")
        finding.refresh_from_db()
        assert finding.resolved_at == NOW

    def test_pii_steward(self, synced, apply_catalog):
        policies_evaluate(actor="test", now=NOW)
        assert "pii-steward" not in open_findings("crm")
        apply_catalog(integration__steward=None)
        policies_evaluate(actor="test", now=NOW)
        assert "names no steward" in open_findings("crm")["pii-steward"].message
        apply_catalog(integration__steward=None, integration__classification=["financial"])
        policies_evaluate(actor="test", now=NOW)
        assert "pii-steward" not in open_findings("crm")
        assert "pii-steward" not in open_findings("erp")  # erp carries no pii

    def test_freshness_sla_opens_on_breach_and_resolves_when_fresh_again(self, sources, make_batch):
        crm = sources["crm"]
        policies_evaluate(actor="test", now=NOW)
        never = open_findings("crm")["freshness-sla"]
        assert never.message.startswith("never synced")
        make_batch(crm, finished_at=NOW - 5 * M)  # exactly the cadence: fresh
        policies_evaluate(actor="test", now=NOW)
        assert "freshness-sla" not in open_findings("crm")
        later = NOW + 6 * M  # 11 minutes since the sync: late
        policies_evaluate(actor="test", now=later)
        late = open_findings("crm")["freshness-sla"]
        assert late.pk != never.pk
        assert late.message.startswith("late: last successful sync PT11M ago")
        assert late.severity == Severity.WARNING
        stale_time = NOW + 20 * M
        policies_evaluate(actor="test", now=stale_time)
        kept = open_findings("crm")["freshness-sla"]
        assert kept.pk == late.pk  # the same finding, still open since it first breached
        assert kept.opened_at == later
        assert kept.checked_at == stale_time
        assert kept.message.startswith("stale: last successful sync PT25M ago")
        assert Finding.objects.filter(rule__code="freshness-sla", source=crm).count() == 2

    def test_freshness_sla_ignores_proposed_and_deprecated(self, sources, apply_catalog):
        apply_catalog(integration__lifecycle="proposed")
        policies_evaluate(actor="test", now=NOW)
        assert "freshness-sla" not in open_findings("crm")
        assert "freshness-sla" in open_findings("erp")

    def test_event_driven_cadence(self, sources, make_batch, apply_catalog):
        crm = sources["crm"]
        for k in range(5):  # five syncs, four hourly gaps: too few to judge
            make_batch(crm, finished_at=NOW - k * H)
        policies_evaluate(actor="test", now=NOW)
        assert "event-driven-cadence" not in open_findings("crm")
        make_batch(crm, finished_at=NOW - 5 * H)  # a fifth gap
        policies_evaluate(actor="test", now=NOW)
        message = open_findings("crm")["event-driven-cadence"].message
        assert "behaves like a batch integration" in message
        assert "declare cadence PT1H" in message
        apply_catalog(integration__cadence="PT1H")
        policies_evaluate(actor="test", now=NOW)
        assert "event-driven-cadence" not in open_findings("crm")
        apply_catalog(integration__pattern="batch")
        policies_evaluate(actor="test", now=NOW)
        assert "event-driven-cadence" not in open_findings("crm")

    def test_deprecated_no_writes(self, sources, make_batch, apply_catalog, write_file):
        # The change log and the refused batch carry the real time, so this test runs on it.
        crm = sources["crm"]
        make_batch(crm, finished_at=timezone.now() - M)
        apply_catalog(integration__lifecycle="deprecated")
        policies_evaluate(actor="test", now=timezone.now())
        assert "deprecated-no-writes" not in open_findings("crm")  # the write before deprecation does not count
        with pytest.raises(WriteRefused):
            records_import(source=crm, path=write_file("crm.csv", "Id\n1\n"), actor="test")
        policies_evaluate(actor="test", now=timezone.now())
        message = open_findings("crm")["deprecated-no-writes"].message
        assert message.startswith("1 write attempt(s) since it was deprecated on")
        assert "(0 accepted, 1 refused)" in message
        policies_evaluate(actor="test", now=timezone.now() + timedelta(days=31))  # none in the last 30 days
        assert "deprecated-no-writes" not in open_findings("crm")

    def test_registered_source(self, synced):
        orphan = SourceSystem.objects.create(code="orphan", name="Orphan", id_field="id")
        policies_evaluate(actor="test", now=NOW)
        finding = open_findings("orphan")["registered-source"]
        assert finding.owner is None
        assert "unregistered" in finding.message
        assert set(open_findings("orphan")) == {"registered-source"}
        Integration.objects.create(source=orphan, pattern="batch", cadence=timedelta(days=1), lifecycle="proposed")
        policies_evaluate(actor="test", now=NOW)
        assert "registered-source" not in open_findings("orphan")


@pytest.mark.django_db
class TestFindings:
    def test_reevaluating_keeps_open_findings_without_duplicates(self, synced):
        first = policies_evaluate(actor="test", now=NOW)
        assert ("production-declared", "erp") in first.opened
        second = policies_evaluate(actor="test", now=NOW + M)
        assert second.opened == []
        assert ("production-declared", "erp") in second.kept
        assert Finding.objects.filter(rule__code="production-declared").count() == 1
        finding = open_findings("erp")["production-declared"]
        assert finding.opened_at == NOW
        assert finding.age(NOW + H) == H
        assert finding.owner is None

    def test_the_database_refuses_a_second_open_finding(self, synced):
        policies_evaluate(actor="test", now=NOW)
        finding = open_findings("erp")["production-declared"]
        with pytest.raises(IntegrityError), transaction.atomic():
            Finding.objects.create(
                rule=finding.rule, source=finding.source, severity="error", message="x", opened_at=NOW, checked_at=NOW
            )

    def test_owner_is_the_integrations_team(self, sources, apply_catalog):
        policies_evaluate(actor="test", now=NOW)
        assert open_findings("crm")["freshness-sla"].owner.slug == "sales-ops"
        apply_catalog(integration__owner="crm-platform")
        policies_evaluate(actor="test", now=NOW)
        assert open_findings("crm")["freshness-sla"].owner.slug == "crm-platform"

    def test_switching_a_rule_off_resolves_its_findings_and_severity_follows_the_switch(self, synced):
        policies_evaluate(actor="test", now=NOW)
        PolicyRule.objects.filter(code="production-declared").update(severity=Severity.INFO)
        policies_evaluate(actor="test", now=NOW)
        assert open_findings("erp")["production-declared"].severity == Severity.INFO
        PolicyRule.objects.filter(code="production-declared").update(enabled=False)
        result = policies_evaluate(actor="test", now=NOW)
        assert ("production-declared", "erp") in result.resolved
        assert "production-declared" not in open_findings("erp")

    def test_events_record_opening_and_resolving_with_the_actor(self, synced, make_batch):
        policies_evaluate(actor="task:health_check", now=NOW + 10 * M)  # crm late
        make_batch(synced["crm"], finished_at=NOW + 10 * M)
        policies_evaluate(actor="cli:ops", now=NOW + 11 * M)
        events = GovernanceEvent.objects.filter(source__code="crm", parameters__rule="freshness-sla").order_by("time")
        assert [(e.type, e.actor) for e in events] == [
            (GovernanceEventType.FINDING_OPENED, "task:health_check"),
            (GovernanceEventType.FINDING_RESOLVED, "cli:ops"),
        ]
        assert events[0].finding == events[1].finding
        assert events[0].parameters["severity"] == "warning"

    def test_policy_rules_sync_keeps_the_administrators_choices(self):
        PolicyRule.objects.filter(code="pii-steward").update(enabled=False, severity=Severity.INFO)
        PolicyRule.objects.filter(code="freshness-sla").delete()
        rows = policy_rules_sync()
        assert (rows["pii-steward"].enabled, rows["pii-steward"].severity) == (False, Severity.INFO)
        assert rows["freshness-sla"].enabled


@pytest.mark.django_db
class TestScheduledCheck:
    def test_task_evaluates_as_the_task(self, sources):
        assert health_check_task().startswith("findings: ")
        assert GovernanceEvent.objects.filter(actor=HEALTH_CHECK_ACTOR).exists()
        assert Finding.objects.filter(resolved_at__isnull=True).exists()

    def test_command_prints_a_json_summary(self, sources, capsys):
        call_command("governance_check", "--json")
        lines = capsys.readouterr().out.strip().splitlines()
        assert "opened: production-declared on erp" in lines
        summary = json.loads(lines[-1])
        assert summary["opened"] >= 1
        call_command("governance_check", "--json")
        again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert again["opened"] == 0
        assert again["kept"] == summary["opened"]

    def test_schedule_is_created_idempotently(self, capsys):
        def schedules():
            return list(Schedule.objects.filter(name=HEALTH_CHECK_SCHEDULE["name"]))

        assert len(schedules()) == 1  # created after migrate
        Schedule.objects.all().delete()
        assert schedules_ensure() == [(HEALTH_CHECK_SCHEDULE["name"], "created")]
        assert schedules_ensure() == [(HEALTH_CHECK_SCHEDULE["name"], "unchanged")]
        schedule = schedules()[0]
        assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
            "governance.tasks.health_check_task",
            Schedule.MINUTES,
            5,
            -1,
        )
        next_run = schedule.next_run
        Schedule.objects.filter(pk=schedule.pk).update(minutes=60)
        Schedule.objects.create(name=HEALTH_CHECK_SCHEDULE["name"], func="x.y")  # a hand-made duplicate
        call_command("governance_schedule")
        assert capsys.readouterr().out.strip() == f"{HEALTH_CHECK_SCHEDULE['name']}: updated"
        (schedule,) = schedules()
        assert schedule.minutes == 5
        assert schedule.next_run == next_run  # correcting it does not reset its timing


@pytest.mark.django_db
def test_findings_of_a_source_list_open_ones_first(synced, make_batch):
    from governance.selectors import finding_list

    crm = synced["crm"]
    policies_evaluate(actor="test", now=NOW + 10 * M)  # crm late: opened
    make_batch(crm, finished_at=NOW + 10 * M)
    policies_evaluate(actor="test", now=NOW + 11 * M)  # fresh again: resolved
    policies_evaluate(actor="test", now=NOW + 30 * M)  # late again: a new one
    findings = list(finding_list(source=crm))
    assert [f.is_open for f in findings] == [True, False]
    assert findings[1].age() == M
