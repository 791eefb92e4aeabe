"""The dashboard: the state of the whole MDM at a glance, each figure linking to where to act."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from connectors.models import QuarantinedRow, SourceRecord, SourceSystem
from connectors.selectors import batch_list
from governance.choices import Freshness
from governance.selectors import source_health_map
from profiles.choices import CustomerStatus
from profiles.models import Customer
from profiles.selectors import review_backlog


def _unified_records() -> int:
    """Active source records that share their golden record with at least one other record."""
    per_customer = (
        SourceRecord.objects.filter(is_deleted=False, customer__isnull=False)
        .values("customer_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("n", flat=True)
    )
    return sum(per_customer.iterator(chunk_size=10_000))


def dashboard_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    records = SourceRecord.objects.aggregate(
        active=Count("id", filter=Q(is_deleted=False)),
        pending=Count("id", filter=Q(is_deleted=False, pending_resolution=True)),
        resolved=Count("id", filter=Q(is_deleted=False, customer__isnull=False)),
    )
    unified = _unified_records() if records["resolved"] else 0
    health = source_health_map(now=now)
    late = [pk for pk, h in health.items() if h.freshness in (Freshness.STALE, Freshness.LATE)]
    backlog = review_backlog(now=now)
    context = {
        "sources": len(health),
        "records": records,
        "customers": Customer.objects.filter(status=CustomerStatus.ACTIVE).count(),
        "unified": unified,
        "unified_share": unified / records["resolved"] if records["resolved"] else None,
        "quarantined": QuarantinedRow.objects.count(),
        "backlog": backlog,
        "backlog_age": now - backlog.oldest if backlog.oldest else None,
        "stale_sources": list(SourceSystem.objects.filter(pk__in=late).order_by("code")) if late else [],
        "stale_count": sum(1 for h in health.values() if h.freshness == Freshness.STALE),
        "late_count": sum(1 for h in health.values() if h.freshness == Freshness.LATE),
        "batches": batch_list()[:10],
    }
    return render(request, "dashboard.html", context)
