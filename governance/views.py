"""Pages of the governance app: the catalog with its overview, one page per integration, lineage."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance import selectors
from governance.constants import BLAST_RADIUS_PAGE_SIZE
from governance.filtersets import IntegrationFilterSet
from governance.services.trust import source_trust_apply
from profiles.roles import ADMIN, STEWARD, user_has_role

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
        "consumers": selectors.consumer_list(),
        "can_edit": user_has_role(request.user, ADMIN),
        "now": now,
    }
    return render(request, "governance/integration_list.html", context)


def integration_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    """One integration: declaration, relations, health over time, scorecard with the trust
    suggestion, lineage of its columns, blast radius, findings, change history."""
    source = selectors.integration_source_get(code)
    if source is None:
        raise Http404(f"no source {code!r}")
    now = timezone.now()
    integration = selectors.integration_of(source)
    consumers = selectors.consumer_list()
    scorecard = selectors.source_scorecard(source=source)
    health = selectors.source_health(source=source, now=now)
    # Counting the golden records a source supplies scans its golden values: done when the source is
    # stale or failing, or on request; otherwise the page shows the values by attribute.
    show_blast = health.at_risk or "blast" in request.GET or "blast_page" in request.GET
    provenance = selectors.provenance_counts(source=source, with_customers=show_blast)
    figures = selectors.survivorship_figures(source=source, provenance=provenance, linked=scorecard.linked)
    blast = blast_page = None
    if show_blast:
        blast = selectors.blast_radius_get(source=source, consumers=consumers, provenance=provenance)
        paginator = Paginator(selectors.blast_radius_customers(source=source), BLAST_RADIUS_PAGE_SIZE)
        paginator.count = blast.customers  # counted already, with the provenance
        blast_page = paginator.get_page(request.GET.get("blast_page"))
    relations = selectors.integration_relations(integration) if integration else []
    relations += selectors.source_consumer_relations(source=source, consumers=consumers)
    context = {
        "source": source,
        "integration": integration,
        "relations": relations,
        "health": health,
        "provenance": provenance,
        "cadence": selectors.cadence_stats(integration=integration) if integration else None,
        "history": selectors.health_history(source=source, now=now),
        "scorecard": scorecard,
        "figures": figures,
        "trust": selectors.trust_suggestion(source=source, scorecard=scorecard, figures=figures),
        "field_lineage": selectors.source_field_lineage(source=source),
        "blast": blast,
        "blast_page": blast_page,
        "consumers": consumers,
        "findings": selectors.finding_list(source=source)[:FINDINGS_SHOWN],
        "changes": selectors.change_list(source=source)[:CHANGES_SHOWN],
        "can_edit": user_has_role(request.user, ADMIN),
        "now": now,
    }
    return render(request, "governance/integration_detail.html", context)


@require_POST
def source_trust_apply_view(request: HttpRequest, code: str) -> HttpResponse:
    """Apply the trust suggestion an administrator saw on the integration page (POST, CSRF, admin only)."""
    if not user_has_role(request.user, ADMIN):
        raise PermissionDenied("only administrators change a source's trust")
    source = selectors.integration_source_get(code)
    if source is None:
        raise Http404(f"no source {code!r}")
    target = reverse("integration-detail", args=[code]) + "#trust"
    try:
        expected = float(request.POST.get("trust", ""))
    except ValueError:
        messages.error(request, "trust: send the suggested trust, a number between 0 and 1")
        return HttpResponseRedirect(target)
    try:
        change = source_trust_apply(source=source, expected=expected, actor=request.user.get_username())
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
        return HttpResponseRedirect(target)
    if change is None:
        messages.info(request, f"{code} already has trust {expected:.2f}")
    else:
        messages.success(request, f"trust of {code} set to {expected:.2f}; golden records are being recomputed with it")
    return HttpResponseRedirect(target)


def lineage_view(request: HttpRequest) -> HttpResponse:
    """Attribute lineage: source columns → canonical attribute → survivorship rule → consumers,
    and the reverse per source column; a golden record id leads to its value-level lineage."""
    customer_id = request.GET.get("customer", "").strip()
    if customer_id:
        if customer_id.isdigit():
            return redirect("lineage-customer", pk=int(customer_id))
        messages.error(request, f"customer: {customer_id[:40]!r} is not a golden record id")
    consumers = selectors.consumer_list()
    sources = list(selectors.source_list())
    context = {
        "attributes": selectors.attribute_lineage_list(consumers=consumers),
        "sources": [(source, selectors.source_field_lineage(source=source)) for source in sources],
        "consumers": consumers,
    }
    return render(request, "governance/lineage.html", context)


def customer_lineage_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Value-level lineage of one golden record: which source and record won each value, by which rule.

    Viewers see values masked (SPEC §5: PII masked); the provenance is shown to everyone."""
    customer = selectors.customer_for_lineage(pk)
    if customer is None:
        raise Http404(f"no golden record {pk}")
    context = {
        "customer": customer,
        "values": selectors.customer_lineage(customer=customer),
        "masked": not user_has_role(request.user, STEWARD),
    }
    return render(request, "governance/customer_lineage.html", context)
