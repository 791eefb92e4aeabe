"""Reads of the profiles app: golden records and their source records."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from connectors.models import Activity, SourceRecord
from profiles.choices import CustomerStatus
from profiles.models import Customer


def customer_list(*, q: str = "", source: str = "") -> QuerySet[Customer]:
    """Active golden records, optionally searched by name, email or phone, or held by a source."""
    customers = Customer.objects.filter(status=CustomerStatus.ACTIVE).annotate(
        record_count=Count("source_records", filter=Q(source_records__is_deleted=False))
    )
    q = q.strip()
    if q:
        # National trunk prefixes (the 0 of "02 9123 4567") are not in the E.164 form.
        digits = "".join(ch for ch in q if ch.isdigit()).lstrip("0")
        match = Q(full_name__icontains=q) | Q(email__icontains=q)
        match |= Q(source_records__full_name__icontains=q) | Q(source_records__email_key__icontains=q.lower())
        if len(digits) >= 6:
            match |= Q(phone__contains=digits) | Q(source_records__phone_key__contains=digits)
        customers = customers.filter(pk__in=Customer.objects.filter(match).values("pk"))
    if source:
        customers = customers.filter(
            pk__in=SourceRecord.objects.filter(source__code=source, is_deleted=False).values("customer_id")
        )
    return customers.order_by("id")


def customer_get(pk: int) -> Customer | None:
    """A golden record with its source records, following redirects is the caller's choice."""
    records = SourceRecord.objects.select_related("source").order_by("source__code", "external_id")
    return Customer.objects.prefetch_related(Prefetch("source_records", queryset=records)).filter(pk=pk).first()


def customer_activity_list(customer: Customer, *, limit: int = 200) -> QuerySet[Activity]:
    """The customer's activities from every source, newest first."""
    return (
        Activity.objects.filter(source_record__customer=customer)
        .select_related("source_record__source")
        .order_by("-occurred_at", "-id")[:limit]
    )
