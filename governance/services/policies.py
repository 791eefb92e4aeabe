"""Evaluating the policy rules: findings opened, kept and resolved, with their events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connectors.models import SourceSystem
from governance.choices import GovernanceEventType
from governance.models import Finding, GovernanceEvent, PolicyRule
from governance.rules import RULES, Subject
from governance.selectors import integration_of, source_health_map


@dataclass
class EvaluationResult:
    """(rule code, source code) pairs by what the evaluation did with them."""

    opened: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    resolved: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"opened": len(self.opened), "kept": len(self.kept), "resolved": len(self.resolved)}


def policy_rules_sync() -> dict[str, PolicyRule]:
    """A `PolicyRule` row for every rule declared in code, created with its defaults when missing.

    Existing rows keep the administrators' choices; rows of rules no longer declared are left
    alone (their findings stay as history) but are never evaluated.
    """
    rows = {r.code: r for r in PolicyRule.objects.all()}
    missing = [PolicyRule(code=code, severity=rule.severity) for code, rule in RULES.items() if code not in rows]
    if missing:
        PolicyRule.objects.bulk_create(missing, ignore_conflicts=True)
        rows = {r.code: r for r in PolicyRule.objects.all()}
    return rows


def _event(kind: GovernanceEventType, finding: Finding, actor: str, now: datetime) -> GovernanceEvent:
    return GovernanceEvent(
        type=kind,
        time=now,
        actor=actor,
        source_id=finding.source_id,
        finding=finding,
        parameters={"rule": finding.rule.code, "severity": finding.severity, "message": finding.message},
    )


def policies_evaluate(*, actor: str, now: datetime | None = None) -> EvaluationResult:
    """Evaluate every enabled rule on every source, and bring the findings in line.

    A violation with no open finding opens one; an open finding still violated is kept (its
    message, severity and owner brought up to date, its `opened_at` untouched); an open finding
    no longer violated, or whose rule was switched off, is resolved. Never two open findings for
    one rule and source.
    """
    now = now or timezone.now()
    result = EvaluationResult()
    with transaction.atomic():
        policy_rules_sync()
        # Locking the rule rows serialises concurrent evaluations (the schedule and a manual
        # `governance_check`), so they cannot both open the same finding.
        rules = {r.code: r for r in PolicyRule.objects.select_for_update().order_by("pk")}
        enabled = [(RULES[code], row) for code, row in rules.items() if code in RULES and row.enabled]
        health = source_health_map(now=now)
        violations: dict[tuple[int, int], tuple[PolicyRule, SourceSystem, str]] = {}
        sources = SourceSystem.objects.select_related("integration", "integration__owner").order_by("code")
        for source in sources:
            subject = Subject(source=source, integration=integration_of(source), health=health[source.pk], now=now)
            for rule, row in enabled:
                message = rule.check(subject)
                if message:
                    violations[(row.pk, source.pk)] = (row, source, message)
        open_findings = {
            (f.rule_id, f.source_id): f
            for f in Finding.objects.filter(resolved_at__isnull=True).select_related("rule", "source")
        }
        events, kept = [], []
        for key, (row, source, message) in violations.items():
            integration = integration_of(source)
            owner_id = integration.owner_id if integration is not None else None
            finding = open_findings.pop(key, None)
            if finding is None:
                finding = Finding.objects.create(
                    rule=row,
                    source=source,
                    owner_id=owner_id,
                    severity=row.severity,
                    message=message,
                    opened_at=now,
                    checked_at=now,
                )
                events.append(_event(GovernanceEventType.FINDING_OPENED, finding, actor, now))
                result.opened.append((row.code, source.code))
                continue
            finding.message, finding.severity, finding.owner_id, finding.checked_at = (
                message,
                row.severity,
                owner_id,
                now,
            )
            kept.append(finding)
            result.kept.append((row.code, source.code))
        for finding in open_findings.values():
            finding.resolved_at = finding.checked_at = max(now, finding.opened_at)
            finding.save(update_fields=["resolved_at", "checked_at"])
            events.append(_event(GovernanceEventType.FINDING_RESOLVED, finding, actor, now))
            result.resolved.append((finding.rule.code, finding.source.code))
        Finding.objects.bulk_update(kept, ["message", "severity", "owner", "checked_at"])
        GovernanceEvent.objects.bulk_create(events)
    return result
