"""Policy rules ("architectural consistency"), declared in code and switched by administrators.

Each rule looks at one source (its integration, if any, and its observed health) and answers
why it is violated, or None. Administrators switch rules on and off and set their severity
through `PolicyRule` rows (Django admin); a rule without a row yet runs with its declared
defaults. Two rules are also enforced on the import path through the write guard of
`connectors.policies`: deprecated integrations receive no writes, unregistered sources cannot
import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from django.utils import timezone

from governance.catalog import format_duration
from governance.choices import Freshness, IntegrationPattern, Lifecycle, Severity
from governance.constants import MIN_GAPS

if TYPE_CHECKING:
    from connectors.models import SourceSystem
    from governance.models import Integration
    from governance.selectors import BlastRadius, CadenceStats, DeprecatedWrites, SourceHealth


def _ago(span: timedelta) -> str:
    """A span in ISO 8601 to the second, as cadences are written."""
    return format_duration(timedelta(seconds=int(span.total_seconds())))


@dataclass
class Subject:
    """What a rule looks at: one source, its integration (None when unregistered), its health."""

    source: SourceSystem
    integration: Integration | None
    health: SourceHealth
    now: datetime

    @cached_property
    def cadence_stats(self) -> CadenceStats:
        from governance.selectors import cadence_stats

        return cadence_stats(integration=self.integration)

    @cached_property
    def blast_radius(self) -> BlastRadius:
        from governance.selectors import blast_radius_get

        return blast_radius_get(source=self.source)

    @cached_property
    def deprecated_writes(self) -> DeprecatedWrites:
        from governance.selectors import deprecated_writes

        return deprecated_writes(integration=self.integration, now=self.now)


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    description: str
    severity: Severity
    check: Callable[[Subject], str | None]
    enforced_on_writes: bool = False


def _production_declared(subject: Subject) -> str | None:
    integration = subject.integration
    if integration is None or integration.lifecycle != Lifecycle.PRODUCTION:
        return None
    missing = [
        name
        for name, present in (
            ("owner", integration.owner_id),
            ("pattern", integration.pattern),
            ("cadence", integration.cadence),
        )
        if not present
    ]
    if not missing:
        return None
    return (
        f"production integration declares no {', no '.join(missing)}: "
        f"add {', '.join(f'`{m}:`' for m in missing)} to its catalog entry"
    )


def _pii_steward(subject: Subject) -> str | None:
    integration = subject.integration
    if integration is None or integration.steward:
        return None
    if "pii" not in {c.lower() for c in integration.classification or []}:
        return None
    return "classified pii but names no steward: add `steward:` so someone answers for its personal data"


def _freshness_sla(subject: Subject) -> str | None:
    integration, health = subject.integration, subject.health
    if integration is None or integration.lifecycle != Lifecycle.PRODUCTION:
        return None
    cadence = format_duration(integration.cadence)
    if health.freshness == Freshness.NEVER:
        return f"never synced, though in production with a declared cadence of {cadence}"
    if health.freshness in (Freshness.LATE, Freshness.STALE):
        message = (
            f"{health.freshness.label.lower()}: last successful sync {_ago(health.lag)} ago "
            f"({timezone.localtime(health.last_success_at):%Y-%m-%d %H:%M}), declared cadence {cadence}"
        )
        if health.freshness == Freshness.STALE:
            message += f"; {subject.blast_radius.describe()}"
        return message
    return None


def _sync_failing(subject: Subject) -> str | None:
    integration, health = subject.integration, subject.health
    if integration is None or integration.lifecycle != Lifecycle.PRODUCTION or not health.failing:
        return None
    return (
        f"its latest run failed ({health.failed_runs} of {health.runs} runs failed in the last 7 days); "
        f"{subject.blast_radius.describe()}"
    )


def _event_driven_cadence(subject: Subject) -> str | None:
    integration = subject.integration
    if (
        integration is None
        or integration.pattern != IntegrationPattern.EVENT_DRIVEN
        or integration.lifecycle == Lifecycle.DEPRECATED
    ):
        return None
    stats = subject.cadence_stats
    if len(stats.gaps) < MIN_GAPS or stats.p90 <= integration.cadence:
        return None
    advice = f"; declare cadence {format_duration(stats.suggestion)}" if stats.suggestion else ""
    return (
        f"event-driven every {format_duration(integration.cadence)} at most, but one in ten of its last "
        f"{len(stats.gaps)} gaps between syncs exceeds {_ago(stats.p90)} (typical gap {_ago(stats.typical)}): "
        f"it behaves like a batch integration; fix the pattern{advice}"
    )


def _deprecated_no_writes(subject: Subject) -> str | None:
    integration = subject.integration
    if integration is None or integration.lifecycle != Lifecycle.DEPRECATED:
        return None
    writes = subject.deprecated_writes
    if not writes.attempts:
        return None
    return (
        f"{writes.attempts} write attempt(s) since it was deprecated on "
        f"{timezone.localtime(writes.since):%Y-%m-%d} ({writes.accepted} accepted, {writes.refused} refused), "
        f"the last at {timezone.localtime(writes.last_at):%Y-%m-%d %H:%M}: whoever still writes must move off it"
    )


def _registered_source(subject: Subject) -> str | None:
    if subject.integration is not None:
        return None
    return (
        "no integration record in the catalog, so the source is unregistered and its imports are refused: "
        "add an `integration:` section for it and run load_catalog"
    )


DEPRECATED_NO_WRITES = "deprecated-no-writes"
REGISTERED_SOURCE = "registered-source"

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "production-declared",
            "Production integrations declare an owner, a pattern and a cadence",
            "Someone must answer for every integration in production, and its pattern and cadence "
            "are what its health is judged by.",
            Severity.ERROR,
            _production_declared,
        ),
        Rule(
            "pii-steward",
            "PII-classified integrations have a steward",
            "An integration carrying personal data names the steward who answers for it.",
            Severity.ERROR,
            _pii_steward,
        ),
        Rule(
            "freshness-sla",
            "Production integrations sync within their declared cadence",
            "The declared cadence is the longest expected gap between syncs: a production integration "
            "that is late, stale or never synced breaches it. Resolved when fresh again.",
            Severity.WARNING,
            _freshness_sla,
        ),
        Rule(
            "sync-failing",
            "Production integrations' latest sync succeeds",
            "A production integration whose latest run failed delivers nothing until it is fixed; the finding "
            "names its blast radius: the golden records whose surviving values come from it and their consumers.",
            Severity.ERROR,
            _sync_failing,
        ),
        Rule(
            "event-driven-cadence",
            "Event-driven integrations behave as event-driven",
            f"An event-driven integration whose 90th-percentile gap between syncs (over at least {MIN_GAPS} "
            "gaps) exceeds its declared cadence is a batch integration in disguise.",
            Severity.WARNING,
            _event_driven_cadence,
        ),
        Rule(
            DEPRECATED_NO_WRITES,
            "Deprecated integrations receive no writes",
            "Writes to a deprecated integration's source are refused; any attempt since deprecation "
            "(in the last 30 days) is a finding, so whoever still writes can be found.",
            Severity.ERROR,
            _deprecated_no_writes,
            enforced_on_writes=True,
        ),
        Rule(
            REGISTERED_SOURCE,
            "Only registered sources import",
            "A source without an integration record in the catalog is unregistered: its imports are refused.",
            Severity.ERROR,
            _registered_source,
            enforced_on_writes=True,
        ),
    )
}


def governance_write_guard(source: SourceSystem) -> str | None:
    """The write guard governance registers with connectors: why writes to the source are refused.

    Honours the administrators' switches of the two rules enforced on writes.
    """
    from governance.models import Integration, PolicyRule

    switched_off = set(
        PolicyRule.objects.filter(code__in=(DEPRECATED_NO_WRITES, REGISTERED_SOURCE), enabled=False).values_list(
            "code", flat=True
        )
    )
    integration = Integration.objects.filter(source_id=source.pk).only("lifecycle").first()
    if integration is None:
        if REGISTERED_SOURCE in switched_off:
            return None
        return (
            f"source {source.code!r} is not registered: it has no integration record in the catalog. "
            f"Add an `integration:` section for it and run load_catalog (policy {REGISTERED_SOURCE})"
        )
    if integration.lifecycle == Lifecycle.DEPRECATED and DEPRECATED_NO_WRITES not in switched_off:
        return (
            f"source {source.code!r} is deprecated and receives no writes. Move the writer to its "
            f"replacement, or set its lifecycle back in the catalog (policy {DEPRECATED_NO_WRITES})"
        )
    return None
