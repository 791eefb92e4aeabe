"""The dashboard: the state of the whole MDM at a glance."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from connectors.models import QuarantinedRow, SourceRecord, SourceSystem
from connectors.selectors import batch_list
from profiles.choices import CustomerStatus
from profiles.models import Customer


def dashboard_view(request: HttpRequest) -> HttpResponse:
    records = SourceRecord.objects.aggregate(
        active=Count("id", filter=Q(is_deleted=False)),
        pending=Count("id", filter=Q(is_deleted=False, pending_resolution=True)),
    )
    context = {
        "sources": SourceSystem.objects.count(),
        "records": records,
        "customers": Customer.objects.filter(status=CustomerStatus.ACTIVE).count(),
        "quarantined": QuarantinedRow.objects.count(),
        "batches": batch_list()[:10],
    }
    return render(request, "dashboard.html", context)
