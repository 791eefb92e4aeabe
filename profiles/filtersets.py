"""One FilterSet for golden records, shared by the customer pages and the API (NetBox style).

The five API filters of SPEC §4 (`q`, `email`, `phone`, `source`, `updated_after`) keep their
names; `conflicts` and `in_review` are the page's extra filters. Every filter is built from an
indexed predicate so that the list stays fast at a million source records.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from connectors.models import SourceRecord, SourceSystem
from connectors.standardisation import clean_email, email_key
from profiles import selectors
from profiles.models import Customer, MatchPair

TRUE_WORDS = {"1", "true", "on", "yes"}
FALSE_WORDS = {"0", "false", "off", "no"}


class FlagField(forms.Field):
    """A yes/no filter written as a checkbox (`on`) or in an URL (`true`, `1`, `false`, `0`);
    absent or empty means "either"; anything else is an error naming the accepted words."""

    widget = forms.CheckboxInput

    def to_python(self, value: object) -> bool | None:
        if value in (None, "", False):
            return None
        if value is True:
            return True
        text = str(value).strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise forms.ValidationError(f"expected one of {', '.join(sorted(TRUE_WORDS | FALSE_WORDS))}, not {value!r}")


class FlagWidget(forms.TextInput):
    """Passes the raw text on, so that `false` reaches the field (a CheckboxInput would turn it into True)."""

    input_type = "checkbox"


class FlagFilter(django_filters.Filter):
    field_class = FlagField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", FlagWidget)
        super().__init__(*args, **kwargs)


class CustomerFilterSet(django_filters.FilterSet):
    """Search and filters over active golden records (`selectors.customer_list`)."""

    q = django_filters.CharFilter(method="filter_q", label="Search", max_length=200)
    email = django_filters.CharFilter(method="filter_email", label="Email", max_length=320)
    phone = django_filters.CharFilter(method="filter_phone", label="Phone", max_length=64)
    source = django_filters.ModelChoiceFilter(
        queryset=SourceSystem.objects.order_by("code"),
        to_field_name="code",
        method="filter_source",
        empty_label="any source",
        label="Source",
    )
    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Updated since (ISO 8601)"
    )
    conflicts = FlagFilter(method="filter_conflicts", label="With conflicts")
    in_review = FlagFilter(method="filter_in_review", label="In review")

    class Meta:
        model = Customer
        fields = ["q", "email", "phone", "source", "updated_after", "conflicts", "in_review"]

    def __init__(self, data: object = None, queryset: QuerySet[Customer] | None = None, **kwargs: object) -> None:
        super().__init__(data, queryset if queryset is not None else selectors.customer_list(), **kwargs)

    def filter_q(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return selectors.customer_search(queryset, q=value)

    def filter_email(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        """The golden email, or any active source record's email with the same match key
        (sub-addresses and Gmail dots folded): exact matches, not a substring search."""
        value = value.strip()
        if not value:
            return queryset
        cleaned = clean_email(value) or value
        key = email_key(value)
        match = Q(email__iexact=cleaned)
        if key:
            match |= Q(pk__in=selectors.customer_ids_holding(email_key=key))
        return queryset.filter(match)

    def filter_phone(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        """The phone number in E.164 (as typed with a country code, or in a source's country)."""
        value = value.strip()
        if not value:
            return queryset
        phones = selectors.phone_e164_forms(value) or {value}
        return queryset.filter(Q(phone__in=phones) | Q(pk__in=selectors.customer_ids_holding(phone_key__in=phones)))

    def filter_source(self, queryset: QuerySet[Customer], name: str, value: SourceSystem) -> QuerySet[Customer]:
        if value is None:
            return queryset
        return queryset.filter(
            Exists(SourceRecord.objects.filter(customer=OuterRef("pk"), source=value, is_deleted=False))
        )

    def filter_conflicts(self, queryset: QuerySet[Customer], name: str, value: bool | None) -> QuerySet[Customer]:
        if value is None:
            return queryset
        return queryset.filter(has_conflicts=value)

    def filter_in_review(self, queryset: QuerySet[Customer], name: str, value: bool | None) -> QuerySet[Customer]:
        if value is None:
            return queryset
        waiting = selectors.customer_ids_in_review()
        return queryset.filter(pk__in=waiting) if value else queryset.exclude(pk__in=waiting)


PROBABILITY_BANDS = [(f"{low}-{low + 10}", f"{low}–{low + 10} %") for low in range(0, 100, 10)]
ASSIGNMENT_CHOICES = [("me", "assigned to me"), ("unassigned", "unassigned"), ("others", "assigned to others")]


class MatchPairFilterSet(django_filters.FilterSet):
    """Filters of the review queue: a source on either side, a probability band, the assignment.

    Pass `request` so that "assigned to me" knows who asks."""

    source = django_filters.ModelChoiceFilter(
        queryset=SourceSystem.objects.order_by("code"),
        to_field_name="code",
        method="filter_source",
        empty_label="any source",
        label="Source",
    )
    band = django_filters.ChoiceFilter(
        choices=PROBABILITY_BANDS, method="filter_band", empty_label="any probability", label="Probability"
    )
    assigned = django_filters.ChoiceFilter(
        choices=ASSIGNMENT_CHOICES, method="filter_assigned", empty_label="anyone's", label="Assignment"
    )

    class Meta:
        model = MatchPair
        fields = ["source", "band", "assigned"]

    def filter_source(self, queryset: QuerySet[MatchPair], name: str, value: SourceSystem) -> QuerySet[MatchPair]:
        if value is None:
            return queryset
        return queryset.filter(Q(record_a__source=value) | Q(record_b__source=value))

    def filter_band(self, queryset: QuerySet[MatchPair], name: str, value: str) -> QuerySet[MatchPair]:
        low, high = (int(part) / 100 for part in value.split("-"))
        band = queryset.filter(probability__gte=low)
        return band.filter(probability__lte=high) if high >= 1 else band.filter(probability__lt=high)

    def filter_assigned(self, queryset: QuerySet[MatchPair], name: str, value: str) -> QuerySet[MatchPair]:
        user = getattr(self.request, "user", None)
        if value == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        if user is None or not user.is_authenticated:
            return queryset.none()
        if value == "me":
            return queryset.filter(assigned_to=user)
        return queryset.filter(assigned_to__isnull=False).exclude(assigned_to=user)
