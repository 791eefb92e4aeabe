"""`GET /api/v1/integrations/` and `/integrations/{code}/`: the catalog with live health (read scope).

The list is filtered by the same `IntegrationFilterSet` as the catalog page, with health judged
at the time of the request; authentication and scopes are the project's REST defaults.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from governance import selectors
from governance.api.serializers import IntegrationDetailSerializer, IntegrationSerializer
from governance.filtersets import IntegrationFilterSet
from governance.models import Integration
from mdm.api import CursorPagination


class IntegrationFilterBackend(DjangoFilterBackend):
    """Hands the health computed once for the request to the FilterSet (its `health` filter)."""

    def get_filterset_kwargs(self, request: Request, queryset: QuerySet, view: object) -> dict:
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs.update(now=view.now, health=view.health)
        return kwargs


class IntegrationPagination(CursorPagination):
    """By source code, as the catalog lists them (codes are unique and never change)."""

    ordering = "code"


class _HealthMixin:
    required_scope = "read"

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()
        self.health = selectors.source_health_map(now=self.now)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context.update(now=self.now, health=self.health, finding_counts=selectors.open_finding_counts_by_source())
        return context


class IntegrationListView(_HealthMixin, generics.ListAPIView):
    """The integration catalog with live health (freshness, last sync, lag, error and quarantine
    rates) and open finding counts; filters as on the catalog page."""

    serializer_class = IntegrationSerializer
    filter_backends = [IntegrationFilterBackend]
    filterset_class = IntegrationFilterSet
    pagination_class = IntegrationPagination

    def get_queryset(self) -> QuerySet[Integration]:
        return selectors.integration_list().annotate(code=F("source__code"))


class IntegrationView(_HealthMixin, generics.RetrieveAPIView):
    """One integration by source code, with its open findings, blast radius and trust suggestion."""

    serializer_class = IntegrationDetailSerializer

    def get_object(self) -> Integration:
        code = self.kwargs["code"]
        integration = selectors.integration_list().filter(source__code=code).first()
        if integration is None:
            raise NotFound(f"No integration for source {code!r}.")
        return integration

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        integration = self.get_object()
        source = integration.source
        scorecard = selectors.source_scorecard(source=source)
        provenance = selectors.provenance_counts(source=source, with_customers=True)
        figures = selectors.survivorship_figures(source=source, provenance=provenance, linked=scorecard.linked)
        context = self.get_serializer_context()
        context.update(
            open_findings=list(selectors.finding_list(source=source, open_only=True)),
            blast_radius=selectors.blast_radius_get(source=source, provenance=provenance),
            trust=selectors.trust_suggestion(source=source, scorecard=scorecard, figures=figures),
        )
        return Response(IntegrationDetailSerializer(integration, context=context).data)
