"""Reads of the audit trail: one searchable list over every append-only history of the MDM.

Nothing is copied: the audit entries, customer events (decisions, merges, splits, pins, undo),
survivorship rule changes and catalog changes (governance's `ObjectChange`) are each filtered
where they live and combined with one SQL UNION, ordered by time and paginated by the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import CharField, F, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat

from audit.models import AuditEntry
from governance.models import ObjectChange
from profiles.models import CustomerEvent, SurvivorshipRuleChange

ORIGINS = {
    "audit": "Access and exports",
    "customer": "Golden records (decisions, merges, splits, pins)",
    "rule": "Survivorship rules",
    "catalog": "Catalog (sources, integrations, policies)",
}
COLUMNS = ("time", "origin", "actor", "action", "target_type", "target_id", "detail", "ip", "ref")


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page searches by; empty fields do not filter."""

    actor: str = ""
    action: str = ""
    origin: str = ""
    since: datetime | None = None
    until: datetime | None = None
    q: str = ""


def _text(expression: object) -> Cast:
    return Cast(expression, output_field=TextField())


def _filtered(qs: QuerySet, f: AuditFilter) -> QuerySet:
    if f.actor:
        qs = qs.filter(a_actor__icontains=f.actor)
    if f.action:
        qs = qs.filter(a_action__istartswith=f.action)
    if f.since:
        qs = qs.filter(a_time__gte=f.since)
    if f.until:
        qs = qs.filter(a_time__lt=f.until)
    if f.q:
        qs = qs.filter(
            Q(a_actor__icontains=f.q)
            | Q(a_action__icontains=f.q)
            | Q(a_target_id__iexact=f.q)
            | Q(a_detail__icontains=f.q)
        )
    return qs.values_list(*(f"a_{name}" for name in COLUMNS)).order_by()


def _audit_entries() -> QuerySet:
    return AuditEntry.objects.annotate(
        a_time=F("time"),
        a_origin=Value("audit", output_field=CharField()),
        a_actor=F("actor"),
        a_action=Cast("action", output_field=CharField()),
        a_target_type=Cast("target_type", output_field=CharField()),
        a_target_id=Cast("target_id", output_field=CharField()),
        a_detail=_text("parameters"),
        a_ip=Cast("ip", output_field=CharField()),
        a_ref=F("id"),
    )


def _customer_events() -> QuerySet:
    return CustomerEvent.objects.annotate(
        a_time=F("created_at"),
        a_origin=Value("customer", output_field=CharField()),
        a_actor=F("actor"),
        a_action=Concat(Value("customer."), F("kind"), output_field=CharField()),
        a_target_type=Value("profiles.customer", output_field=CharField()),
        a_target_id=Cast("customer_id", output_field=CharField()),
        a_detail=_text("parameters"),
        a_ip=Value(None, output_field=CharField()),
        a_ref=F("id"),
    )


def _rule_changes() -> QuerySet:
    return SurvivorshipRuleChange.objects.annotate(
        a_time=F("created_at"),
        a_origin=Value("rule", output_field=CharField()),
        a_actor=F("actor"),
        a_action=Value("rule.changed", output_field=CharField()),
        a_target_type=Value("profiles.survivorshiprule", output_field=CharField()),
        a_target_id=Cast("rule__attribute", output_field=CharField()),
        a_detail=_text("after"),
        a_ip=Value(None, output_field=CharField()),
        a_ref=F("id"),
    )


def _catalog_changes() -> QuerySet:
    return ObjectChange.objects.annotate(
        a_time=F("time"),
        a_origin=Value("catalog", output_field=CharField()),
        a_actor=F("actor"),
        a_action=Concat(Value("catalog."), F("action"), output_field=CharField()),
        a_target_type=Concat(
            F("content_type__app_label"), Value("."), F("content_type__model"), output_field=CharField()
        ),
        a_target_id=Cast("object_id", output_field=CharField()),
        a_detail=Concat(F("object_repr"), Value(" "), _text("after"), output_field=TextField()),
        a_ip=Value(None, output_field=CharField()),
        a_ref=F("id"),
    )


SOURCES = {"audit": _audit_entries, "customer": _customer_events, "rule": _rule_changes, "catalog": _catalog_changes}


ORDER = ("-a_time", "a_origin", "-a_ref")


def _parts(filters: AuditFilter) -> list[QuerySet]:
    origins = [filters.origin] if filters.origin in SOURCES else list(SOURCES)
    return [_filtered(SOURCES[name](), filters) for name in origins]


def audit_trail_list(*, filters: AuditFilter) -> QuerySet:
    """Rows (time, origin, actor, action, target type, target id, detail, ip, ref) of every
    history matching the filters, newest first; slice it (or paginate it) to read a page."""
    parts = _parts(filters)
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by(*ORDER)


class AuditTrail:
    """The combined trail as a sequence for Django's Paginator: counts each history on its own
    and, where the database allows it (PostgreSQL), reads a page by taking only the newest
    `offset + size` rows of each history before combining them, instead of sorting everything."""

    def __init__(self, filters: AuditFilter) -> None:
        self.filters = filters
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = sum(part.count() for part in _parts(self.filters))
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[tuple]:
        start, stop = window.start or 0, window.stop
        if stop is not None and stop <= start:
            return []
        if stop is None or not connection.features.supports_slicing_ordering_in_compound:
            return list(audit_trail_list(filters=self.filters)[window])
        parts = _parts(self.filters)
        if len(parts) == 1:
            return list(parts[0].order_by(*ORDER)[start:stop])
        newest = [part.order_by(*ORDER)[:stop] for part in parts]
        return list(newest[0].union(*newest[1:], all=True).order_by(*ORDER)[start:stop])


def audit_entry_list() -> QuerySet:
    """Audit entries only, newest first."""
    return AuditEntry.objects.all()
