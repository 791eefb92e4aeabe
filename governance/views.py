"""Pages of the governance app: the catalog with its overview, and one page per integration."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from governance import selectors
from governance.filtersets import IntegrationFilterSet
from profiles.roles import ADMIN, user_has_role

FINDINGS_SHOWN = 50
CHANGES_SHOWN = 50


def integration_list_view(request: HttpRequest) -> HttpResponse:
    """Overview (counts by pattern, health, findings), the filterable catalog, open findings and rules."""
    now = timezone.now()
    health = selectors.source_health_map(now=now)
    filterset = IntegrationFilterSet(request.GET or None, queryset=selectors.integration_list(), now=now, health=health)
    integrations = list(filterset.qs)
    for integration in integrations:
        integration.health = health.get(integration.source_id)
    context = {
        "filter": filterset,
        "filtered": bool(request.GET),
        "integrations": integrations,
        "overview": selectors.governance_overview(health=health),
        "findings": selectors.finding_list(open_only=True)[:FINDINGS_SHOWN],
        "rules": selectors.policy_rule_states(with_counts=True),
        "can_edit": user_has_role(request.user, ADMIN),
        "now": now,
    }
    return render(request, "governance/integration_list.html", context)


def integration_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    """One integration: declaration, relations, health over time, scorecard, findings, change history."""
    source = selectors.integration_source_get(code)
    if source is None:
        raise Http404(f"no source {code!r}")
    now = timezone.now()
    integration = selectors.integration_of(source)
    context = {
        "source": source,
        "integration": integration,
        "relations": selectors.integration_relations(integration) if integration else [],
        "health": selectors.source_health(source=source, now=now),
        "cadence": selectors.cadence_stats(integration=integration) if integration else None,
        "history": selectors.health_history(source=source, now=now),
        "scorecard": selectors.source_scorecard(source=source),
        "findings": selectors.finding_list(source=source)[:FINDINGS_SHOWN],
        "changes": selectors.change_list(source=source)[:CHANGES_SHOWN],
        "can_edit": user_has_role(request.user, ADMIN),
        "now": now,
    }
    return render(request, "governance/integration_detail.html", context)
