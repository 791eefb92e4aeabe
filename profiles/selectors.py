"""Reads of the profiles app: golden records and their source records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.db.models import Count, Exists, Max, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from connectors.choices import ActivityKind
from connectors.models import Activity, SourceRecord
from profiles.choices import CustomerStatus
from profiles.constants import CLOSED_TICKET_WORDS, GOLDEN_ATTRIBUTES, OPEN_TICKET_DAYS, RULE_ATTRIBUTES
from profiles.matching import INPUT_COLUMNS, evaluation
from profiles.models import (
    Customer,
    CustomerChange,
    CustomerEvent,
    GoldenAttribute,
    MatchRun,
    Relationship,
    SurvivorshipRule,
    SurvivorshipRuleChange,
)


def customer_list(*, q: str = "", source: str = "", conflicts: bool = False) -> QuerySet[Customer]:
    """Active golden records, optionally searched by name, email or phone, held by a source, or
    with conflicting values among their records."""
    customers = Customer.objects.filter(status=CustomerStatus.ACTIVE).annotate(
        record_count=Count("source_records", filter=Q(source_records__is_deleted=False)),
        has_conflicts=Exists(GoldenAttribute.objects.filter(customer=OuterRef("pk"), conflict=True)),
    )
    if conflicts:
        customers = customers.filter(has_conflicts=True)
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
    """The customer's activities from every source (every linked record), newest first."""
    return (
        Activity.objects.filter(source_record__customer=customer, source_record__is_deleted=False)
        .select_related("source_record__source")
        .order_by("-occurred_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class CustomerSummary:
    """The figures at the top of the unified profile.

    Lifetime value is money received: e-commerce orders (paid at checkout) plus payments
    (invoices count once paid; adding invoices too would count them twice). A ticket is open
    when it is recent (OPEN_TICKET_DAYS) and its summary does not say it was closed: activities
    carry no status of their own. First seen is the earliest activity or record timestamp."""

    lifetime_value: Decimal
    invoiced: Decimal
    open_tickets: int
    activities: int
    last_interaction: datetime | None
    first_seen: datetime | None
    sources: int
    records: int


def customer_summary(customer: Customer, *, now: datetime | None = None) -> CustomerSummary:
    now = now or timezone.now()
    closed = Q()
    for word in CLOSED_TICKET_WORDS:
        closed |= Q(summary__icontains=word)
    money = Q(kind__in=[ActivityKind.ORDER, ActivityKind.PAYMENT])
    recent_ticket = Q(kind=ActivityKind.TICKET, occurred_at__gte=now - timedelta(days=OPEN_TICKET_DAYS))
    activity = Activity.objects.filter(source_record__customer=customer, source_record__is_deleted=False).aggregate(
        lifetime_value=Sum("amount", filter=money, default=Decimal("0")),
        invoiced=Sum("amount", filter=Q(kind=ActivityKind.INVOICE), default=Decimal("0")),
        open_tickets=Count("id", filter=recent_ticket & ~closed),
        activities=Count("id"),
        last=Max("occurred_at"),
        first=Min("occurred_at"),
    )
    records = SourceRecord.objects.filter(customer=customer, is_deleted=False).aggregate(
        sources=Count("source", distinct=True),
        records=Count("id"),
        first=Min(Coalesce("source_updated_at", "received_at")),
    )
    firsts = [t for t in (activity["first"], records["first"]) if t is not None]
    return CustomerSummary(
        lifetime_value=activity["lifetime_value"],
        invoiced=activity["invoiced"],
        open_tickets=activity["open_tickets"],
        activities=activity["activities"],
        last_interaction=activity["last"],
        first_seen=min(firsts) if firsts else None,
        sources=records["sources"],
        records=records["records"],
    )


def golden_attribute_list(customer: Customer) -> list[GoldenAttribute]:
    """The golden attributes with their provenance, in the canonical order."""
    order = {name: i for i, name in enumerate(GOLDEN_ATTRIBUTES)}
    rows = GoldenAttribute.objects.filter(customer=customer).select_related("source", "source_record")
    return sorted(rows, key=lambda row: order.get(row.attribute, len(order)))


def customer_event_list(customer: Customer, *, limit: int = 100) -> QuerySet[CustomerEvent]:
    return CustomerEvent.objects.filter(customer=customer).select_related("run").order_by("-created_at", "-id")[:limit]


@dataclass
class RelationshipGroup:
    """A household or account this golden record belongs to, with (some of) its other members."""

    kind: str
    kind_label: str
    key: str
    label: str
    members: list[Customer]
    member_count: int  # others, not counting this golden record


def customer_relationship_list(customer: Customer, *, members_shown: int = 20) -> list[RelationshipGroup]:
    mine = list(Relationship.objects.filter(customer=customer).order_by("kind", "key"))
    if not mine:
        return []
    same_group = Q()
    for row in mine:
        same_group |= Q(kind=row.kind, key=row.key)
    others = Relationship.objects.filter(same_group).exclude(customer=customer)
    counts = {(r["kind"], r["key"]): r["n"] for r in others.values("kind", "key").annotate(n=Count("id"))}
    shown: dict[tuple[str, str], list[Customer]] = {}
    for row in others.select_related("customer").order_by("kind", "key", "customer_id")[: members_shown * len(mine)]:
        group = shown.setdefault((row.kind, row.key), [])
        if len(group) < members_shown:
            group.append(row.customer)
    return [
        RelationshipGroup(
            row.kind,
            row.get_kind_display(),
            row.key,
            row.label,
            shown.get((row.kind, row.key), []),
            counts.get((row.kind, row.key), 0),
        )
        for row in mine
    ]


def customer_change_list(*, after: int = 0, limit: int = 100) -> QuerySet[CustomerChange]:
    """The change log after a cursor (a sequence), oldest first: the changes feed."""
    return CustomerChange.objects.filter(sequence__gt=after).order_by("sequence")[:limit]


def survivorship_rule_list() -> list[SurvivorshipRule]:
    order = {name: i for i, name in enumerate(RULE_ATTRIBUTES)}
    return sorted(SurvivorshipRule.objects.all(), key=lambda rule: order.get(rule.attribute, len(order)))


def survivorship_rule_get(attribute: str) -> SurvivorshipRule | None:
    return SurvivorshipRule.objects.filter(attribute=attribute).first()


def survivorship_rule_change_list(*, limit: int = 50) -> QuerySet[SurvivorshipRuleChange]:
    return SurvivorshipRuleChange.objects.select_related("rule")[:limit]


# The matching engine's input columns, as stored on SourceRecord (the source comes by join).
FRAME_FIELDS = tuple(c for c in INPUT_COLUMNS if c != "source")


def records_frame(records: QuerySet[SourceRecord], *, chunk_size: int = 50_000) -> pd.DataFrame:
    """Active source records as the engine's DataFrame, indexed by record id, with their current
    golden record in `customer_id` (NaN when not yet linked) and whether they await resolution in
    `pending`. Read in chunks to bound memory."""
    columns = ["id", "source__code", *FRAME_FIELDS, "customer_id", "pending_resolution"]
    parts = []
    rows = records.filter(is_deleted=False).order_by("id").values_list(*columns)
    buffer: list[tuple] = []
    for row in rows.iterator(chunk_size=chunk_size):
        buffer.append(row)
        if len(buffer) >= chunk_size:
            parts.append(pd.DataFrame.from_records(buffer, columns=columns))
            buffer = []
    if buffer or not parts:
        parts.append(pd.DataFrame.from_records(buffer, columns=columns))
    frame = (parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)).set_index("id")
    frame = frame.rename(columns={"source__code": "source", "pending_resolution": "pending"})
    frame["pending"] = frame["pending"].astype(bool)
    frame["date_of_birth"] = frame["date_of_birth"].map(lambda d: d.isoformat() if d else None)
    frame["birth_year"] = pd.to_numeric(frame["birth_year"], errors="coerce")
    frame["customer_id"] = pd.to_numeric(frame["customer_id"], errors="coerce")
    return frame


def resolution_scope(record_ids: list[int]) -> QuerySet[SourceRecord]:
    """The records an incremental run must look at for these records: themselves, the records
    sharing a blocking key with them (found through indexes, without loading everything), and
    every record of the golden records those touch, so that clusters are rebuilt whole.

    Callers pass at most ~100 ids at a time: each adds a few terms to one OR, and SQLite limits
    the depth of an expression."""
    focus = SourceRecord.objects.filter(pk__in=record_ids, is_deleted=False)
    keys = focus.values_list(
        "email_key",
        "phone_key",
        "national_id_key",
        "family_phonetic",
        "birth_year",
        "postcode_key",
        "family_key",
        "given_key",
        "street_key",
    )
    emails, phones, national_ids = set(), set(), set()
    match = Q(pk__in=record_ids)
    for email, phone, national_id, phonetic, year, postcode, family, given, street in keys:
        emails.add(email)
        phones.add(phone)
        national_ids.add(national_id)
        if phonetic and year:
            match |= Q(family_phonetic=phonetic, birth_year=year)
        if phonetic and postcode:
            match |= Q(postcode_key=postcode, family_phonetic=phonetic)
        if family and given:
            match |= Q(family_key=family, given_key=given)
        if postcode and street:
            match |= Q(postcode_key=postcode, street_key=street)
    for field, values in (("email_key", emails), ("phone_key", phones), ("national_id_key", national_ids)):
        values.discard("")
        if values:
            match |= Q(**{f"{field}__in": values})
    active = SourceRecord.objects.filter(is_deleted=False)
    # Two small indexed queries with literal lists: as subqueries, PostgreSQL plans the OR of
    # the two as a sequential scan of the whole table.
    touched = list(active.filter(match).values_list("pk", "customer_id"))
    records = {pk for pk, _ in touched}
    customers = {customer for _, customer in touched if customer is not None}
    return active.filter(Q(pk__in=records) | Q(customer_id__in=customers))


def xref_rows() -> Iterator[tuple[str, str, int | str]]:
    """(source, source id, current golden id) of every active source record, streamed.

    A record linked to a golden record that was merged away reports the survivor (retired ids
    always point straight at a live record); a record not yet resolved has an empty id.
    """
    records = (
        SourceRecord.objects.filter(is_deleted=False)
        .order_by("source__code", "external_id")
        .values_list("source__code", "external_id", "customer_id", "customer__status", "customer__merged_into_id")
    )
    for code, external_id, customer_id, status, merged_into in records.iterator(chunk_size=10_000):
        if customer_id is None:
            yield code, external_id, ""
        else:
            yield code, external_id, merged_into if status == CustomerStatus.RETIRED else customer_id


class EvaluationError(Exception):
    """The truth file cannot be used."""


def golden_record_evaluation(*, truth_path: Path) -> dict[str, object]:
    """Pairwise precision/recall/F1, unified, over-merge and split rates of the current golden
    records against a truth CSV `source,source_id,entity_id`. Records not yet resolved count as
    golden records of their own; truth rows naming no active record are counted and skipped."""
    try:
        truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"{truth_path}: cannot be read ({exc})") from exc
    missing = {"source", "source_id", "entity_id"} - set(truth.columns)
    if missing:
        raise EvaluationError(f"{truth_path}: missing columns: {', '.join(sorted(missing))}")
    current = pd.DataFrame.from_records(list(xref_rows()), columns=["source", "source_id", "customer_id"]).astype(
        {"source_id": str}
    )
    joined = truth.merge(current, on=["source", "source_id"], how="inner")
    unresolved = joined["customer_id"] == ""
    clusters = joined["customer_id"].where(~unresolved, "unresolved-" + joined.index.astype(str)).astype(str)
    clusters.index = joined.index
    entities = joined["entity_id"].astype(str)
    scores = evaluation.pairwise_scores(clusters, entities)
    return {
        "records": int(len(joined)),
        "truth_rows_without_record": int(len(truth) - len(joined)),
        "unresolved_records": int(unresolved.sum()),
        "entities": int(entities.nunique()),
        "golden_records": int(clusters.nunique()),
        "precision": round(float(scores["precision"]), 6),
        "recall": round(float(scores["recall"]), 6),
        "f1": round(float(scores["f1"]), 6),
        "unified_rate": round(float(evaluation.unified_rate(clusters, entities, min_records=1)), 6),
        # The same over people with several records: what identity resolution can actually unify.
        "unified_rate_multi_record": round(float(evaluation.unified_rate(clusters, entities, min_records=2)), 6),
        "over_merge_rate": round(float(evaluation.over_merge_rate(clusters, entities)), 6),
        "split_rate": round(float(evaluation.split_rate(clusters, entities, min_records=2)), 6),
    }


def match_run_list() -> QuerySet[MatchRun]:
    return MatchRun.objects.select_related("model").order_by("-id")


def match_run_get(pk: int) -> MatchRun | None:
    return MatchRun.objects.select_related("model").filter(pk=pk).first()
