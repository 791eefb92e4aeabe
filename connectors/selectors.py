"""Reads of the connectors app: sources with their figures, batches and quarantine."""

from __future__ import annotations

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from connectors.models import ImportBatch, QuarantinedRow, SourceRecord, SourceSystem


def source_list() -> QuerySet[SourceSystem]:
    """Sources with record counts, last import and quarantine size, in one query."""
    last_batch = ImportBatch.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-id")
    return (
        SourceSystem.objects.select_related("integration")
        .annotate(
            record_count=Count("records", filter=Q(records__is_deleted=False), distinct=True),
            quarantined=Subquery(
                QuarantinedRow.objects.filter(batch__source=OuterRef("pk"))
                .values("batch__source")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
            last_import_at=Max("batches__started_at"),
            last_import_status=Subquery(last_batch.values("status")[:1]),
        )
        .order_by("code")
    )


def source_get(code: str) -> SourceSystem | None:
    return SourceSystem.objects.select_related("integration", "integration__owner").filter(code=code).first()


def source_figures(source: SourceSystem) -> dict[str, int]:
    """Record counts of one source: active, deleted, linked, pending, with quality issues."""
    records = SourceRecord.objects.filter(source=source)
    return records.aggregate(
        active=Count("id", filter=Q(is_deleted=False)),
        deleted=Count("id", filter=Q(is_deleted=True)),
        linked=Count("id", filter=Q(is_deleted=False, customer__isnull=False)),
        pending=Count("id", filter=Q(is_deleted=False, pending_resolution=True)),
        with_issues=Count("id", filter=~Q(quality_issues={})),
    )


def batch_list(*, source: SourceSystem | None = None) -> QuerySet[ImportBatch]:
    batches = ImportBatch.objects.select_related("source")
    return batches.filter(source=source) if source is not None else batches


def batch_get(pk: int) -> ImportBatch | None:
    return ImportBatch.objects.select_related("source").filter(pk=pk).first()


def quarantined_row_list(*, batch: ImportBatch) -> QuerySet[QuarantinedRow]:
    return QuarantinedRow.objects.filter(batch=batch).order_by("line_number", "id")
