"""Reads of the profiles app: golden records and their source records."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Abs, Coalesce
from django.utils import timezone

from connectors.choices import ActivityKind
from connectors.models import Activity, SourceRecord, SourceSystem
from connectors.standardisation import clean_phone, email_key
from profiles.choices import CustomerStatus, ModelKind, PairStatus
from profiles.constants import CLOSED_TICKET_WORDS, GOLDEN_ATTRIBUTES, OPEN_TICKET_DAYS, RULE_ATTRIBUTES
from profiles.matching import INPUT_COLUMNS, evaluation
from profiles.models import (
    Customer,
    CustomerChange,
    CustomerEvent,
    GoldenAttribute,
    MatchModel,
    MatchPair,
    MatchPairComment,
    MatchRun,
    Relationship,
    ResolutionSettings,
    SurvivorshipRule,
    SurvivorshipRuleChange,
)


def customer_list(*, q: str = "", source: str = "", conflicts: bool = False) -> QuerySet[Customer]:
    """Active golden records, optionally searched by name, email or phone, held by a source, or
    with conflicting values among their records. `CustomerFilterSet` builds on this queryset.

    `record_count` is a correlated subquery rather than a join + GROUP BY, so that a page of 50
    costs 50 index lookups instead of aggregating every source record."""
    active_records = SourceRecord.objects.filter(customer=OuterRef("pk"), is_deleted=False)
    customers = Customer.objects.filter(status=CustomerStatus.ACTIVE).annotate(
        record_count=Coalesce(
            Subquery(active_records.order_by().values("customer").annotate(n=Count("id")).values("n")[:1]),
            0,
        ),
        has_conflicts=Exists(GoldenAttribute.objects.filter(customer=OuterRef("pk"), conflict=True)),
    )
    if conflicts:
        customers = customers.filter(has_conflicts=True)
    customers = customer_search(customers, q=q)
    if source:
        customers = customers.filter(Exists(active_records.filter(source__code=source)))
    return customers.order_by("id")


def phone_e164_forms(text: str) -> set[str]:
    """The E.164 forms a typed phone number can take: as written with a country code, or in the
    default country of any source (a local "02 9123 4567" means +61 2… for an Australian source)."""
    regions = {r for r in SourceSystem.objects.values_list("default_country", flat=True).distinct() if r}
    forms = {clean_phone(text, region) for region in regions | {"US"}}
    return {f for f in forms if f}


def customer_search(customers: QuerySet[Customer], *, q: str) -> QuerySet[Customer]:
    """Golden records whose golden name, email or phone contains the text, or holding a source
    record with exactly this email (match key) or phone number (E.164).

    Only indexed predicates: on PostgreSQL the golden `UPPER(...)` columns have trigram GIN
    indexes (migration 0007), so `icontains` stays fast at millions of rows; source records are
    looked up by their B-tree match-key indexes, never scanned."""
    q = q.strip()
    if not q:
        return customers
    match = Q(full_name__icontains=q) | Q(email__icontains=q)
    # National trunk prefixes (the 0 of "02 9123 4567") are not in the E.164 form.
    digits = "".join(ch for ch in q if ch.isdigit()).lstrip("0")
    record_match = Q(pk__in=[])
    if len(digits) >= 6:
        match |= Q(phone__contains=digits)
        phones = phone_e164_forms(q)
        if phones:
            record_match |= Q(phone_key__in=phones)
    if "@" in q:
        key = email_key(q)
        if key:
            record_match |= Q(email_key=key)
    if record_match != Q(pk__in=[]):
        ids = customer_ids_holding(record_match)
        if ids:
            match |= Q(pk__in=ids)
    return customers.filter(match)


# More golden records than a page holds: an exact email or phone rarely belongs to more.
HOLDERS_LIMIT = 1000


def customer_ids_holding(*match: Q, **key_lookup: object) -> list[int]:
    """Golden ids holding an active source record with this match key, read first through the
    key's index: as an `OR EXISTS` subquery PostgreSQL would scan every golden record instead."""
    records = SourceRecord.objects.filter(*match, is_deleted=False, customer__isnull=False, **key_lookup)
    return list(records.order_by().values_list("customer_id", flat=True).distinct()[:HOLDERS_LIMIT])


def customer_ids_in_review() -> QuerySet[SourceRecord]:
    """Golden record ids holding a record of a pair that waits for review (a subquery)."""
    waiting = MatchPair.objects.filter(status=PairStatus.REVIEW)
    return SourceRecord.objects.filter(
        Q(pk__in=waiting.values("record_a_id")) | Q(pk__in=waiting.values("record_b_id")),
        customer__isnull=False,
    ).values("customer_id")


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


def records_frame(records: QuerySet[SourceRecord], *, chunk_size: int | None = 50_000) -> pd.DataFrame:
    """Active source records as the engine's DataFrame, indexed by record id, with their current
    golden record in `customer_id` (NaN when not yet linked) and whether they await resolution in
    `pending`. Read in chunks to bound memory; `chunk_size=None` reads a few records at once (on
    PostgreSQL a chunked read costs four round trips: declare, fetch, fetch, close)."""
    columns = ["id", "source__code", *FRAME_FIELDS, "customer_id", "pending_resolution"]
    parts = []
    rows = records.filter(is_deleted=False).order_by("id").values_list(*columns)
    if chunk_size is None:
        fetched = list(rows)
        chunk_size = len(fetched) + 1
    else:
        fetched = rows.iterator(chunk_size=chunk_size)
    buffer: list[tuple] = []
    for row in fetched:
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
    every record of the golden records those touch, so that clusters are rebuilt whole."""
    records, customers = resolution_scope_members(record_ids)
    return SourceRecord.objects.filter(Q(pk__in=records) | Q(customer_id__in=customers), is_deleted=False)


def resolution_scope_members(record_ids: list[int]) -> tuple[set[int], set[int]]:
    """`resolution_scope` as (record ids found by key, golden record ids they touch), in two small
    indexed queries, so that a caller can read the scope of several chunks in one query.

    Callers pass at most ~100 ids at a time: each adds a few terms to one OR, and SQLite limits
    the depth of an expression. On PostgreSQL more ids are read in one statement instead
    (`_scope_members_pg`: it scans the table once, which only pays for many records)."""
    from django.db import connection

    if connection.vendor == "postgresql" and len(record_ids) > SCOPE_OR_LIMIT:
        return _scope_members_pg(record_ids)
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
    return records, customers


SCOPE_OR_LIMIT = 100  # focus records up to which the scope is read through one OR of their keys
# The focus records' keys, then one indexed branch per blocking key; the composite keys are
# looked up per focus record (LATERAL, kept by OFFSET 0: a join of the whole table sorts 100k
# rows instead).
_SCOPE_KEYS = (
    ("email_key",),
    ("phone_key",),
    ("national_id_key",),
    ("family_phonetic", "birth_year"),
    ("postcode_key", "family_phonetic"),
    ("family_key", "given_key"),
    ("postcode_key", "street_key"),
)
_UNINDEXED_KEY = ("postcode_key", "street_key")


def _scope_members_pg(record_ids: list[int]) -> tuple[set[int], set[int]]:
    """`resolution_scope_members` in one statement, the same sets as the OR of the other path
    (a key counts when every part is set: not empty, not NULL, a birth year not 0)."""
    from django.db import connection

    quote = connection.ops.quote_name
    table = quote(SourceRecord._meta.db_table)
    columns = sorted({column for key in _SCOPE_KEYS for column in key})
    branches = [f"SELECT id, customer_id FROM {table} WHERE id = ANY(%(ids)s) AND NOT is_deleted"]
    for key in _SCOPE_KEYS:
        present = " AND ".join(f"f.{quote(c)} <> 0" if c == "birth_year" else f"f.{quote(c)} <> ''" for c in key)
        if len(key) == 1:
            column = quote(key[0])
            branches.append(
                f"SELECT id, customer_id FROM {table} WHERE NOT is_deleted AND {column} = "
                f"ANY(ARRAY(SELECT f.{column} FROM f WHERE {present}))"
            )
        elif key == _UNINDEXED_KEY:
            # No index leads with these two (the postcode alone matches hundreds of records): one
            # hash semi-join over the table beats a look-up per focus record.
            listed = ", ".join(f"f.{quote(c)}" for c in key)
            branches.append(
                f"SELECT id, customer_id FROM {table} WHERE NOT is_deleted AND ({', '.join(map(quote, key))}) "
                f"IN (SELECT {listed} FROM f WHERE {present})"
            )
        else:
            same = " AND ".join(f"r.{quote(c)} = f.{quote(c)}" for c in key)
            branches.append(
                f"SELECT r.id, r.customer_id FROM f CROSS JOIN LATERAL (SELECT id, customer_id FROM {table} r "
                f"WHERE {same} AND NOT r.is_deleted OFFSET 0) r WHERE {present}"
            )
    sql = (
        f"WITH f AS MATERIALIZED (SELECT {', '.join(quote(c) for c in columns)} FROM {table} "
        f"WHERE id = ANY(%(ids)s) AND NOT is_deleted) " + " UNION ".join(branches)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": list(record_ids)})
        touched = cursor.fetchall()
    records = {pk for pk, _ in touched}
    customers = {customer for _, customer in touched if customer is not None}
    return records, customers


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


# ---- review queue -----------------------------------------------------------------------------

REVIEW_ORDERS = {
    "threshold": "closest to the auto-link threshold",
    "size": "largest golden records affected",
    "probability": "highest probability",
    "oldest": "waiting longest",
}


PAIR_RELATIONS = ("record_a__source", "record_b__source", "record_a__customer", "record_b__customer", "assigned_to")


def match_pair_review_list(*, order: str = "threshold", auto_link: float | None = None) -> QuerySet[MatchPair]:
    """Pairs waiting for a steward, by priority: closest to the auto-link threshold first (the
    decisions that most change what is linked automatically), highest probability, or waiting
    longest. `MatchPairFilterSet` narrows this queryset. It carries no joins, so that sorting
    the whole queue stays cheap; `match_pair_rows` fetches one page with its records.
    (The "largest golden records affected" order is `match_pair_ids_by_size`.)"""
    pairs = MatchPair.objects.filter(status=PairStatus.REVIEW)
    if order == "probability":
        return pairs.order_by("-probability", "id")
    if order == "oldest":
        return pairs.order_by("updated_at", "id")
    threshold = ResolutionSettings.current().auto_link_threshold if auto_link is None else auto_link
    return pairs.annotate(distance=Abs(F("probability") - Value(threshold))).order_by("distance", "id")


def match_pair_ids_by_size(pairs: QuerySet[MatchPair]) -> list[int]:
    """The pairs' ids, largest golden records affected first (records of both sides' golden
    records), then highest probability. Plain indexed reads (pairs, their records' golden
    records, a grouped count of those) instead of two correlated counts per pair."""
    rows = list(pairs.order_by().values_list("pk", "probability", "record_a_id", "record_b_id"))
    record_ids = sorted({r for _, _, a, b in rows for r in (a, b)})
    holder: dict[int, int | None] = {}
    for start in range(0, len(record_ids), 5000):
        chunk = record_ids[start : start + 5000]
        holder.update(SourceRecord.objects.filter(pk__in=chunk).order_by().values_list("pk", "customer_id"))
    customers = sorted({c for c in holder.values() if c})
    sizes: dict[int, int] = {}
    for start in range(0, len(customers), 5000):
        counts = (
            SourceRecord.objects.filter(customer_id__in=customers[start : start + 5000], is_deleted=False)
            .order_by()
            .values("customer_id")
            .annotate(n=Count("id"))
            .values_list("customer_id", "n")
        )
        sizes.update(counts)

    def affected(a: int, b: int) -> int:
        ca, cb = holder.get(a), holder.get(b)
        return sizes.get(ca, 0) + (sizes.get(cb, 0) if cb != ca else 0)

    rows.sort(key=lambda r: (-affected(r[2], r[3]), -r[1], r[0]))
    return [r[0] for r in rows]


def match_pair_rows(ids: list[int]) -> list[MatchPair]:
    """One page of pairs with their records, sources, golden records and assignee, in `ids` order."""
    found = MatchPair.objects.select_related(*PAIR_RELATIONS).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def match_pair_get(pk: int) -> MatchPair | None:
    return (
        MatchPair.objects.select_related(
            "record_a__source", "record_b__source", "record_a__customer", "record_b__customer", "assigned_to", "model"
        )
        .filter(pk=pk)
        .first()
    )


def match_pair_comment_list(pair: MatchPair) -> QuerySet[MatchPairComment]:
    return MatchPairComment.objects.filter(pair=pair).order_by("created_at", "id")


@dataclass(frozen=True)
class EvidenceStep:
    """One bar of the match-weight waterfall: a field's log2 Bayes factor and the running total."""

    label: str
    weight: float
    start: float
    end: float
    kind: str  # prior | up | down | neutral | total


@dataclass(frozen=True)
class PairEvidence:
    steps: list[EvidenceStep]
    prior: float
    total: float
    probability: float
    auto_link_weight: float | None
    review_weight: float | None


def _logit2(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def match_pair_evidence(pair: MatchPair, *, settings: ResolutionSettings | None = None) -> PairEvidence:
    """The pair's score explained: the prior, then every field's log2 Bayes factor in the order
    of their effect, ending at the total whose logistic is the probability.

    The prior is what the stored probability implies beyond the field weights (logit2(p) =
    prior + Σ weights), so no model has to be loaded to draw it."""
    settings = settings or ResolutionSettings.current()
    weights = {str(k): float(v) for k, v in (pair.weights or {}).items() if v is not None}
    total = _logit2(pair.probability)
    prior = total - sum(weights.values())
    steps = [EvidenceStep("prior (base rate)", prior, 0.0, prior, "prior")]
    running = prior
    for field, weight in sorted(weights.items(), key=lambda kv: (-abs(kv[1]), kv[0])):
        kind = "up" if weight > 0.005 else "down" if weight < -0.005 else "neutral"
        steps.append(EvidenceStep(field.replace("_", " "), weight, running, running + weight, kind))
        running += weight
    steps.append(EvidenceStep("total", total, 0.0, total, "total"))
    return PairEvidence(
        steps=steps,
        prior=prior,
        total=total,
        probability=pair.probability,
        auto_link_weight=_logit2(settings.auto_link_threshold),
        review_weight=_logit2(settings.review_threshold),
    )


@dataclass(frozen=True)
class ReviewBacklog:
    waiting: int
    oldest: datetime | None
    decided_last_7_days: int


def review_backlog(*, now: datetime | None = None) -> ReviewBacklog:
    now = now or timezone.now()
    figures = MatchPair.objects.aggregate(
        waiting=Count("id", filter=Q(status=PairStatus.REVIEW)),
        oldest=Min("updated_at", filter=Q(status=PairStatus.REVIEW)),
        decided=Count("id", filter=Q(status=PairStatus.DECIDED, decided_at__gte=now - timedelta(days=7))),
    )
    return ReviewBacklog(figures["waiting"], figures["oldest"], figures["decided"])


def steward_user_list() -> QuerySet:
    """Users who may decide pairs (steward or admin group, or superuser): the assignees."""
    from django.contrib.auth import get_user_model

    from profiles.roles import ADMIN, STEWARD

    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name__in=[STEWARD, ADMIN]), is_active=True)
        .distinct()
        .order_by("username")
    )


def match_model_list(*, limit: int = 10) -> QuerySet[MatchModel]:
    return MatchModel.objects.defer("parameters").order_by("-id")[:limit]


def decisions_since_last_training() -> int:
    """Steward decisions made after the newest supervised model was trained (all of them if none)."""
    last = MatchModel.objects.filter(kind=ModelKind.SUPERVISED).order_by("-created_at").values("created_at").first()
    decided = MatchPair.objects.filter(status=PairStatus.DECIDED)
    if last:
        decided = decided.filter(decided_at__gt=last["created_at"])
    return decided.count()


# ---- thresholds what-if -----------------------------------------------------------------------


@dataclass
class ThresholdWhatIf:
    """What new thresholds would do to the stored pairs (decided ones never move)."""

    auto_link: float
    review: float
    moves: dict[str, int]
    merges: int
    splits: int
    splits_exact: bool

    @property
    def total_moves(self) -> int:
        return sum(self.moves.values())


class _Components:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


WHAT_IF_SPLIT_LIMIT = 5000


def threshold_what_if(*, auto_link: float, review: float) -> ThresholdWhatIf:
    """How many stored pairs would move between auto-link, review and no-match, and an estimate
    of the golden records that would merge (review pairs across two golden records becoming
    links, counted as joined components) or split (a golden record whose linked pairs would no
    longer connect its records). Estimates: the next run also rescores and applies constraints."""
    undecided = MatchPair.objects.exclude(status=PairStatus.DECIDED)
    linked, waiting = Q(status=PairStatus.LINKED), Q(status=PairStatus.REVIEW)
    moves = undecided.aggregate(
        link_to_review=Count("id", filter=linked & Q(probability__lt=auto_link, probability__gte=review)),
        link_to_no_match=Count("id", filter=linked & Q(probability__lt=review)),
        review_to_link=Count("id", filter=waiting & Q(probability__gte=auto_link)),
        review_to_no_match=Count("id", filter=waiting & Q(probability__lt=review)),
    )
    # Merges: new links between different golden records join them.
    joins = _Components()
    merges = 0
    new_links = undecided.filter(waiting, probability__gte=auto_link).values_list(
        "record_a__customer_id", "record_b__customer_id"
    )
    for a, b in new_links.iterator(chunk_size=5000):
        if a and b and a != b and joins.union(a, b):
            merges += 1
    # Splits: golden records losing a linked pair, rebuilt from the links they keep.
    dropped = undecided.filter(linked, probability__lt=auto_link)
    affected = list(
        dropped.values_list("record_a__customer_id", flat=True).distinct().order_by()[: WHAT_IF_SPLIT_LIMIT + 1]
    )
    exact = len(affected) <= WHAT_IF_SPLIT_LIMIT
    affected = [c for c in affected[:WHAT_IF_SPLIT_LIMIT] if c]
    splits = 0
    if affected:
        kept = Q(status=PairStatus.LINKED) | Q(status=PairStatus.DECIDED, decision="match")
        rows = (
            MatchPair.objects.filter(kept, record_a__customer_id__in=affected)
            .filter(record_b__customer_id=F("record_a__customer_id"))
            .values_list("record_a__customer_id", "record_a_id", "record_b_id", "probability", "status")
        )
        before: dict[int, _Components] = {}
        after: dict[int, _Components] = {}
        for customer, a, b, p, status in rows.iterator(chunk_size=5000):
            before.setdefault(customer, _Components()).union(a, b)
            components = after.setdefault(customer, _Components())
            components.find(a)
            components.find(b)
            if status == PairStatus.DECIDED or p >= auto_link:
                components.union(a, b)
        for customer, graph in before.items():
            count_before = len({graph.find(x) for x in graph.parent})
            rebuilt = after[customer]
            splits += len({rebuilt.find(x) for x in rebuilt.parent}) - count_before
    return ThresholdWhatIf(auto_link, review, moves, merges, splits, exact)


# ---- API lookups: golden values by id, and "find similar before create" (issue 6) ----

MATCH_PROBE_ID = -1  # the index of the probe in the engine's frame: no stored record has it
MATCH_SCOPE_LIMIT = 5000  # stored records scored against one probe, at most
SENSITIVE_ATTRIBUTES = ("national_id",)


def customer_attribute_values(customer_ids: list[int]) -> dict[int, dict[str, str]]:
    """Golden values (attribute -> value) of these golden records, sensitive ones left out."""
    rows = (
        GoldenAttribute.objects.filter(customer_id__in=customer_ids)
        .exclude(attribute__in=SENSITIVE_ATTRIBUTES)
        .values_list("customer_id", "attribute", "value")
    )
    values: dict[int, dict[str, str]] = {pk: {} for pk in customer_ids}
    for customer_id, attribute, value in rows:
        values[customer_id][attribute] = value
    return values


def records_sharing_keys(keys: dict[str, object]) -> QuerySet[SourceRecord]:
    """Active, linked source records that share a blocking key with these match keys (the
    standardised keys of a record that is not stored): the same indexed keys as `resolution_scope`."""
    get = keys.get
    match = Q()
    for field in ("email_key", "phone_key", "national_id_key"):
        if get(field):
            match |= Q(**{field: get(field)})
    pairs = (
        ("family_phonetic", "birth_year"),
        ("postcode_key", "family_phonetic"),
        ("family_key", "given_key"),
        ("postcode_key", "street_key"),
    )
    for first, second in pairs:
        if get(first) and get(second):
            match |= Q(**{first: get(first), second: get(second)})
    if not match:
        return SourceRecord.objects.none()
    return SourceRecord.objects.filter(match, is_deleted=False, customer__status=CustomerStatus.ACTIVE)


@dataclass
class MatchCandidate:
    """A golden record like the probe: its best-scoring record's pair, with per-field weights."""

    customer_id: int
    probability: float
    match_weight: float
    decision: str  # what resolution would do with the pair: link / review / no-match
    source: str
    source_id: str
    field_weights: dict[str, float]
    attributes: dict[str, str]


def customer_match_candidates(*, keys: dict[str, object], limit: int = 10) -> list[MatchCandidate]:
    """Golden records similar to a record that is not stored (`keys`: the standardised columns and
    match keys of `standardise_row`), scored by the active model exactly as resolution would
    score the pair, best first. Reads only: nothing is written."""
    from profiles import matching
    from profiles.services.resolution import _active_model, _engine_model, _settings

    stored_model = _active_model()
    scope = records_sharing_keys(keys).order_by("id")[:MATCH_SCOPE_LIMIT]
    if stored_model is None:  # no resolution has run yet: nothing is linked to compare with
        return []
    frame = records_frame(SourceRecord.objects.filter(pk__in=list(scope.values_list("pk", flat=True))))
    if not len(frame):
        return []
    probe = {column: keys.get(column) for column in FRAME_FIELDS}
    dob = probe.get("date_of_birth")
    probe["date_of_birth"] = dob.isoformat() if hasattr(dob, "isoformat") else dob
    probe["source"] = ""
    probe_frame = pd.DataFrame([probe], index=pd.Index([MATCH_PROBE_ID], name=frame.index.name))
    columns = [c for c in frame.columns if c not in ("customer_id", "pending")]
    records = pd.concat([frame[columns].astype(object), probe_frame[columns].astype(object)])
    records["birth_year"] = pd.to_numeric(records["birth_year"], errors="coerce")
    result = matching.resolve(
        records,
        settings=_settings(),
        model=_engine_model(stored_model),
        focus=pd.Index([MATCH_PROBE_ID]),
        existing_clusters=frame["customer_id"],
    )
    pairs = result.pairs
    if not len(pairs):
        return []
    first = pairs.index.get_level_values(0).to_numpy()
    second = pairs.index.get_level_values(1).to_numpy()
    scored = pairs.assign(record=[b if a == MATCH_PROBE_ID else a for a, b in zip(first, second, strict=True)])
    scored["customer"] = scored["record"].map(frame["customer_id"])
    scored = scored.dropna(subset=["customer"]).sort_values(
        ["probability", "match_weight", "customer"], ascending=[False, False, True], kind="stable"
    )
    best = scored.drop_duplicates("customer").head(limit)
    sources = dict(SourceRecord.objects.filter(pk__in=best["record"].tolist()).values_list("pk", "external_id"))
    weight_columns = [c for c in best.columns if c.startswith("w_")]
    attributes = customer_attribute_values([int(c) for c in best["customer"]])
    return [
        MatchCandidate(
            customer_id=int(row.customer),
            probability=round(float(row.probability), 6),
            match_weight=round(float(row.match_weight), 3),
            decision=str(row.decision),
            source=str(frame.at[row.record, "source"]),
            source_id=sources.get(int(row.record), ""),
            field_weights={c[2:]: round(float(getattr(row, c)), 3) for c in weight_columns},
            attributes=attributes.get(int(row.customer), {}),
        )
        for row in best.itertuples()
    ]


# ---- REST API (issue 6) -------------------------------------------------------------------------

API_MAX_REDIRECT_HOPS = 50
CHANGE_FEED_FIELDS = (
    "sequence",
    "kind",
    "customer_id",
    "survivor_id",
    "changed_fields",
    "attributes",
    "created_at",
    "origin_source",
)


def customer_live_get(customer: Customer) -> Customer | None:
    """The live golden record a retired id leads to, following `merged_into` (each hop one
    query; merges point straight at a live record, so normally one); None when the chain ends
    at a deleted record or does not end."""
    current = customer
    for _ in range(API_MAX_REDIRECT_HOPS):
        if current.status != CustomerStatus.RETIRED or current.merged_into_id is None:
            return current if current.status == CustomerStatus.ACTIVE else None
        current = Customer.objects.only("id", "status", "merged_into_id").get(pk=current.merged_into_id)
    return None


def customer_api_get(pk: int) -> Customer | None:
    """A golden record with, when it is active, its golden attributes with their provenance in
    `api_attributes` (tuples of `API_ATTRIBUTE_FIELDS`) and its active records' (source code,
    source id) in `api_records`: three queries whatever the size of the record, read as tuples
    (the detail is the API's most frequent read: model instances and prefetching cost more CPU
    than the queries themselves)."""
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None or customer.status != CustomerStatus.ACTIVE:
        return customer
    customer.api_attributes = list(
        GoldenAttribute.objects.filter(customer_id=pk).order_by("id").values_list(*API_ATTRIBUTE_FIELDS)
    )
    customer.api_records = list(
        SourceRecord.objects.filter(customer_id=pk, is_deleted=False)
        .order_by("source__code", "external_id")
        .values_list("source__code", "external_id")
    )
    return customer


API_ATTRIBUTE_FIELDS = (
    "attribute",
    "value",
    "source__code",  # None without a source
    "source_record__external_id",  # None without a record
    "rule",
    "decided_by",
    "pinned",
    "conflict",
)


def customer_timeline(customer: Customer) -> QuerySet[Activity]:
    """Activities of every active record of the golden record (unsliced, for pagination)."""
    return Activity.objects.filter(source_record__customer=customer, source_record__is_deleted=False).select_related(
        "source_record__source"
    )


def customer_change_feed(*, after: int, limit: int) -> list[dict[str, object]]:
    """Up to `limit` changes after the cursor, oldest first, as plain dicts (the feed is read in
    bulk by sync clients: no model instances)."""
    return list(
        CustomerChange.objects.filter(sequence__gt=after).order_by("sequence").values(*CHANGE_FEED_FIELDS)[:limit]
    )


def match_pair_queue(*, status: str = PairStatus.REVIEW, order: str = "threshold") -> QuerySet[MatchPair]:
    """Match pairs of one status with their records, sources and golden records (one query),
    annotated with `priority` (ascending = first): distance to the auto-link threshold
    (`threshold`, the decisions that change most) or highest probability (`probability`)."""
    pairs = MatchPair.objects.filter(status=status).select_related(
        "record_a__source", "record_b__source", "record_a__customer", "record_b__customer"
    )
    if order == "probability":
        return pairs.annotate(priority=Value(1.0) - F("probability"))
    threshold = ResolutionSettings.current().auto_link_threshold
    return pairs.annotate(priority=Abs(F("probability") - Value(threshold)))
