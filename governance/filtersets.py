"""One FilterSet for integrations, shared by the catalog page and (later) the API."""

from __future__ import annotations

from datetime import datetime

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from governance.choices import Freshness, IntegrationDirection, IntegrationPattern, Lifecycle
from governance.models import DataDomain, Integration, Team
from governance.selectors import SourceHealth, classification_values, source_health_map


class IntegrationFilterSet(django_filters.FilterSet):
    """Search and filters of the integration catalog.

    Health is observed, not stored: the `health` filter judges every source's last successful
    sync at the time of the request (`now`, for tests), exactly as the page shows it.
    """

    q = django_filters.CharFilter(method="filter_q", label="Search")
    pattern = django_filters.ChoiceFilter(choices=IntegrationPattern.choices, label="Pattern")
    direction = django_filters.ChoiceFilter(choices=IntegrationDirection.choices, label="Direction")
    lifecycle = django_filters.ChoiceFilter(choices=Lifecycle.choices, label="Lifecycle")
    owner = django_filters.ModelChoiceFilter(
        queryset=Team.objects.order_by("slug"), to_field_name="slug", empty_label="any owner", label="Owner"
    )
    domain = django_filters.ModelChoiceFilter(
        field_name="domains",
        queryset=DataDomain.objects.order_by("slug"),
        to_field_name="slug",
        empty_label="any domain",
        label="Domain",
    )
    classification = django_filters.ChoiceFilter(method="filter_classification", choices=[], label="Classification")
    health = django_filters.ChoiceFilter(method="filter_health", choices=Freshness.choices, label="Health")

    class Meta:
        model = Integration
        fields = ["q", "pattern", "direction", "lifecycle", "owner", "domain", "classification", "health"]

    def __init__(
        self,
        *args: object,
        now: datetime | None = None,
        health: dict[int, SourceHealth] | None = None,
        **kwargs: object,
    ) -> None:
        """`now` judges health at a given time; `health`, when the caller has already computed it, is reused."""
        super().__init__(*args, **kwargs)
        self.now = now
        self.health = health
        classification = self.filters["classification"]
        classification.extra["choices"] = [(c, c) for c in classification_values()]
        # A form field built earlier (the API schema reads the class's filters) holds stale choices.
        classification.__dict__.pop("_field", None)

    def filter_q(self, queryset: QuerySet[Integration], name: str, value: str) -> QuerySet[Integration]:
        value = value.strip()
        if not value:
            return queryset
        in_domain = DataDomain.objects.filter(integrations=OuterRef("pk"), slug__icontains=value)
        return queryset.filter(
            Q(source__code__icontains=value)
            | Q(source__name__icontains=value)
            | Q(owner__slug__icontains=value)
            | Q(owner__name__icontains=value)
            | Q(steward__icontains=value)
            | Q(protocol__icontains=value)
            | Q(endpoint__icontains=value)
            | Exists(in_domain)
        )

    def filter_classification(self, queryset: QuerySet[Integration], name: str, value: str) -> QuerySet[Integration]:
        # JSON containment is not portable to SQLite; the catalog is small (tens of integrations),
        # so the matching ids are worked out in Python, exactly.
        ids = [pk for pk, labels in Integration.objects.values_list("pk", "classification") if value in (labels or [])]
        return queryset.filter(pk__in=ids)

    def filter_health(self, queryset: QuerySet[Integration], name: str, value: str) -> QuerySet[Integration]:
        health = self.health if self.health is not None else source_health_map(now=self.now)
        return queryset.filter(source_id__in=[pk for pk, h in health.items() if h.freshness == value])
