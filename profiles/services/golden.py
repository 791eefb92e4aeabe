"""Golden records from their linked source records: survivorship with provenance, in batches.

`golden_attributes_refresh` recomputes the golden attributes of the golden records it is given
and writes only what changed: per chunk of customers it reads the linked records, the stored
attributes (their fingerprints) and the pins in three queries, runs the survivorship rules
(`profiles/survivorship.py`) in memory, then deletes and re-inserts the changed attribute rows
and updates the changed display columns in a few bulk statements. The query count depends on
the number of chunks, not of customers.

`golden_records_recompute` is what every writer of golden records calls (resolution, steward
merge/split/undo, pins, record deletion): attributes, relationships and the change log, in the
caller's transaction, for the affected golden records only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from connectors.models import SourceRecord, SourceSystem
from mdm.bulk import bulk_insert_rows, bulk_update_by_pk, ids_in
from profiles.choices import ChangeKind, CustomerStatus, RelationshipKind, ValueRule
from profiles.constants import ADDRESS, ADDRESS_PARTS, DISPLAY_FIELDS, SINGLE_ATTRIBUTES
from profiles.models import Customer, GoldenAttribute, Relationship, SurvivorshipRule, ValuePin
from profiles.services.changes import Change, customer_changes_append
from profiles.survivorship import Candidate, Pin, Rule, Strategy, Survivor, normalise

CHUNK = 2000
SMALL_CHUNK = 200  # golden records whose records are read without a server-side cursor
SMALL_UPSERT = 200  # attribute rows written with one INSERT … ON CONFLICT instead of DELETE + COPY
ATTRIBUTE_COLUMNS = (
    "customer",
    "attribute",
    "value",
    "source_record",
    "source",
    "rule",
    "decided_by",
    "competing",
    "conflict",
    "pinned",
    "fingerprint",
    "updated_at",
)
# A golden record's stored attributes, read through the customer (a left join).
STORED_FIELDS = tuple(f"golden_attributes__{name}" for name in ("id", "attribute", "value", "fingerprint"))
SEPARATOR = "\x00"  # joins address parts into one candidate value (never stored)
HOUSEHOLD_KEYS = ("phone_key", "street_key", "postcode_key")  # a landline + an address: see relationships
RECORD_FIELDS = (
    "id",
    "customer_id",
    "source_id",
    "external_id",
    *SINGLE_ATTRIBUTES,
    *ADDRESS_PARTS,
    "full_name",
    "issues_text",  # quality_issues as text: most records have none, decoding "{}" is wasted work
    "source_updated_at",
    "received_at",
    *HOUSEHOLD_KEYS,
)
_SINGLE_AT = {name: RECORD_FIELDS.index(name) for name in SINGLE_ATTRIBUTES}
_ADDRESS_AT = tuple(RECORD_FIELDS.index(name) for name in ADDRESS_PARTS)
_FULL_NAME_AT = RECORD_FIELDS.index("full_name")
_HOUSEHOLD_AT = slice(RECORD_FIELDS.index(HOUSEHOLD_KEYS[0]), RECORD_FIELDS.index(HOUSEHOLD_KEYS[-1]) + 1)
_ISSUES_AT, _UPDATED_AT, _RECEIVED_AT = (
    RECORD_FIELDS.index(n) for n in ("issues_text", "source_updated_at", "received_at")
)


@dataclass
class RefreshResult:
    """What a refresh did: the customers refreshed, whose values changed, and their values after."""

    refreshed: set[int] = field(default_factory=set)
    # refreshed customers in a household, or holding a record that could put them in one
    households: set[int] = field(default_factory=set)
    changed: dict[int, list[str]] = field(default_factory=dict)  # customer id -> attributes whose value changed
    states: dict[int, dict[str, str]] = field(default_factory=dict)  # customer id -> golden values after
    rows_written: int = 0


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ids_filter(field: str, ids: list[int]) -> Q:
    """`field IN ids`, or a range when the sorted ids are dense (a full recompute): a range
    keeps statements small, and the caller ignores the few rows of ids it did not ask for.
    Otherwise the ids are one array parameter on PostgreSQL (`mdm.bulk.ids_in`)."""
    if len(ids) > 50 and ids[-1] - ids[0] < 2 * len(ids):
        return Q(**{f"{field}__gte": ids[0], f"{field}__lte": ids[-1]})
    return ids_in(field, ids)


def current_rules() -> dict[str, Rule]:
    """The survivorship rules by attribute (`address` for the address parts)."""
    return {rule.attribute: rule.as_rule() for rule in SurvivorshipRule.objects.all()}


@dataclass(slots=True)
class _Row:
    """A golden attribute row about to be stored."""

    attribute: str
    value: str
    record_id: int | None
    source_pk: int | None
    rule: str
    decided_by: str
    others: list[tuple[Candidate, str]]  # the competing candidates, with their value of this attribute
    conflict: bool
    pinned: bool

    def fingerprint(self, seen: dict[int, tuple[str, str]]) -> str:
        """A hash of everything stored, so an unchanged row is not rewritten (cheaper than
        building the competing values' JSON for every row)."""
        others = tuple((c.record_id, value, c.invalid, seen[c.record_id]) for c, value in self.others)
        text = repr(
            (self.value, self.record_id, self.source_pk, self.rule, self.decided_by, others, self.conflict, self.pinned)
        )
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def competing(self, seen: dict[int, tuple[str, str]]) -> list[dict[str, object]]:
        return [_entry(c, value, seen) for c, value in self.others]


class _Context:
    """What survivorship of one refresh needs beside the records: rules, sources, the time."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rules = current_rules()
        self.sources = {s.pk: s for s in SourceSystem.objects.only("id", "code", "trust")}
        self.source_pk = {s.code: s.pk for s in self.sources.values()}
        default = Strategy(Rule(strategy="highest-trust"), now)
        self.strategies = {name: Strategy(rule, now) for name, rule in self.rules.items()}
        self.strategies.update({name: default for name in (*SINGLE_ATTRIBUTES, ADDRESS) if name not in self.rules})


def _entry(candidate: Candidate, value: str, seen: dict[int, tuple[str, str]]) -> dict[str, object]:
    external_id, seen_at = seen[candidate.record_id]
    entry: dict[str, object] = {
        "value": value,
        "record": candidate.record_id,
        "source": candidate.source,
        "source_id": external_id,
        "seen_at": seen_at,
    }
    if candidate.invalid:
        entry["invalid"] = candidate.invalid
    return entry


def _row(attribute: str, survivor: Survivor, ctx: _Context) -> _Row:
    source = survivor.source
    return _Row(
        attribute=attribute,
        value=survivor.value,
        record_id=survivor.record_id,
        source_pk=ctx.source_pk.get(source) if source else None,
        rule=survivor.rule,
        decided_by=survivor.decided_by,
        others=[(c, c.value) for c in survivor.competing],
        conflict=survivor.conflict,
        pinned=survivor.pin is not None,
    )


def _address_rows(
    candidates: list[Candidate], parts: dict[int, tuple[str, ...]], ctx: _Context, pins: dict[str, Pin]
) -> list[_Row]:
    """Street, city, postcode and state from one record, chosen by the address rule among the
    records that have a street (or, when none has, any address part)."""
    strategy = ctx.strategies[ADDRESS]
    rule = strategy.rule
    with_street = [c for c in candidates if parts[c.record_id][0] or c.invalid]
    pool = with_street if any(parts[c.record_id][0] for c in with_street) else candidates
    survivor = strategy.survive(pool)
    rows = []
    for i, attribute in enumerate(ADDRESS_PARTS):
        pin = pins.get(attribute)
        winner = survivor.winner
        value = parts[winner.record_id][i] if winner else ""
        others = [c for c in candidates if c is not winner and (parts[c.record_id][i] or c.invalid)]
        valid_values = {normalise(parts[c.record_id][i]) for c in candidates if parts[c.record_id][i] and not c.invalid}
        conflict = rule.flag_conflicts and len(valid_values) > 1
        if pin is not None:
            others = [c for c in candidates if c.record_id != pin.record_id and (parts[c.record_id][i] or c.invalid)]
            row = _Row(
                attribute,
                pin.value,
                pin.record_id,
                ctx.source_pk.get(pin.source) if pin.source else None,
                ValueRule.STEWARD_OVERRIDE,
                "pinned by a steward",
                [],
                conflict,
                True,
            )
        elif not value and not others:
            continue
        else:
            row = _Row(
                attribute,
                value,
                winner.record_id if winner and value else None,
                ctx.source_pk.get(winner.source) if winner and value else None,
                survivor.rule,
                survivor.decided_by if value else "",
                [],
                conflict,
                False,
            )
        row.others = [(c, parts[c.record_id][i]) for c in others]
        rows.append(row)
    return rows


def _full_name_row(rows: dict[str, _Row], names: list[tuple[Candidate, str]]) -> _Row | None:
    """The full name as the surviving given and family names, so the name shown is consistent."""
    given, family = rows.get("given_name"), rows.get("family_name")
    parts = [row for row in (given, family) if row is not None and row.value]
    if not parts and not names:
        return None
    value = " ".join(row.value for row in parts)
    first = parts[0] if parts else None
    competing = [(c, text) for c, text in names if text != value]
    return _Row(
        "full_name",
        value,
        first.record_id if first else None,
        first.source_pk if first else None,
        ValueRule.DERIVED,
        "given name + family name" if value else "",
        competing,
        False,
        False,
    )


def _survive_customer(
    records: list[tuple], pins: dict[str, Pin], ctx: _Context
) -> tuple[dict[str, _Row], dict[int, tuple[str, str]]]:
    """Every golden attribute of one customer from its active records' rows, with each record's
    source id and when it was last seen (for the competing values)."""
    by_attribute: dict[str, list[Candidate]] = {name: [] for name in SINGLE_ATTRIBUTES}
    address: list[Candidate] = []
    parts: dict[int, tuple[str, ...]] = {}
    names: list[tuple[Candidate, str]] = []
    seen: dict[int, tuple[str, str]] = {}
    for row in records:
        record_id = row[0]
        source = ctx.sources.get(row[2])
        code, trust = (source.code, source.trust) if source else ("?", 0.0)
        issues_text = row[_ISSUES_AT]
        issues = json.loads(issues_text) if issues_text and issues_text != "{}" else None
        updated, received = row[_UPDATED_AT], row[_RECEIVED_AT]
        seen_at = updated or received
        stamp = seen_at.timestamp()
        seen[record_id] = (row[3], seen_at.isoformat(timespec="seconds"))
        for name, at in _SINGLE_AT.items():
            value = row[at]
            invalid = issues.get(name, "") if issues else ""
            if value or invalid:
                if value.__class__ is date:
                    value = value.isoformat()
                by_attribute[name].append(
                    Candidate(value or "", record_id, code, trust, updated, received, invalid, stamp)
                )
        record_parts = tuple(row[at] or "" for at in _ADDRESS_AT)
        address_issues = "; ".join(issues[p] for p in ADDRESS_PARTS if p in issues) if issues else ""
        if any(record_parts) or address_issues:
            parts[record_id] = record_parts
            address.append(
                Candidate(
                    SEPARATOR.join(record_parts), record_id, code, trust, updated, received, address_issues, stamp
                )
            )
        if row[_FULL_NAME_AT]:
            names.append(
                (
                    Candidate(row[_FULL_NAME_AT], record_id, code, trust, updated, received, "", stamp),
                    row[_FULL_NAME_AT],
                )
            )
    rows: dict[str, _Row] = {}
    for name, candidates in by_attribute.items():
        pin = pins.get(name)
        if not candidates and pin is None:
            continue
        rows[name] = _row(name, ctx.strategies[name].survive(candidates, pin), ctx)
    if address or any(p in pins for p in ADDRESS_PARTS):
        for row in _address_rows(address, parts, ctx, pins):
            rows[row.attribute] = row
    full = _full_name_row(rows, names)
    if full is not None:
        rows["full_name"] = full
    return rows, seen


def _display_values(rows: dict[str, _Row]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in DISPLAY_FIELDS:
        row = rows.get(name)
        text = row.value if row else ""
        if name == "date_of_birth":
            values[name] = date.fromisoformat(text) if text else None
        else:
            values[name] = text
    return values


def golden_attributes_refresh(
    *, customer_ids: Iterable[int], state_for: Iterable[int] = (), now: datetime | None = None
) -> RefreshResult:
    """Recompute the golden attributes of these active golden records, writing only what changed.

    Returns which customers' values changed (with the attributes) and the values after, for
    those and for the customers in `state_for`."""
    ids = sorted({int(pk) for pk in customer_ids})
    keep_state = {int(pk) for pk in state_for}
    result = RefreshResult()
    if not ids:
        return result
    ctx = _Context(now or timezone.now())
    for chunk in _chunks(ids):
        _refresh_chunk(chunk, ctx, keep_state, result)
    return result


def _refresh_chunk(chunk: list[int], ctx: _Context, keep_state: set[int], result: RefreshResult) -> None:
    from profiles.services.relationships import is_landline

    wanted = set(chunk)
    customers: dict[int, tuple] = {}
    pinned: set[int] = set()  # customers with pins: their pins are read only when there are some
    stored: dict[int, dict[str, tuple[int, str, str]]] = {}
    # The golden records, whether they hold pins, and their stored attributes, in one query: a
    # left join gives one row per attribute (or one without any for a golden record with none).
    memberships = Relationship.objects.filter(customer_id=OuterRef("pk"), kind=RelationshipKind.HOUSEHOLD)
    for pk, *display, has_pins, in_household, attribute_pk, attribute, value, fingerprint in (
        Customer.objects.filter(ids_filter("pk", chunk), status=CustomerStatus.ACTIVE)
        .annotate(
            has_pins=Exists(ValuePin.objects.filter(customer_id=OuterRef("pk"))), in_household=Exists(memberships)
        )
        .order_by()
        .values_list("pk", *DISPLAY_FIELDS, "has_pins", "in_household", *STORED_FIELDS)
    ):
        if pk not in wanted:
            continue
        customers[pk] = tuple(display)
        if has_pins:
            pinned.add(pk)
        if in_household:
            result.households.add(pk)
        if attribute_pk is not None:
            stored.setdefault(pk, {})[attribute] = (attribute_pk, value, fingerprint)
    if not customers:
        return
    live = sorted(customers)
    records: dict[int, list[tuple]] = {}
    rows = (
        SourceRecord.objects.filter(ids_filter("customer_id", live), is_deleted=False)
        .annotate(issues_text=Cast("quality_issues", TextField()))
        .order_by("customer_id", "id")
        .values_list(*RECORD_FIELDS)
    )
    # A few golden records' records in one round trip (a chunked read on PostgreSQL costs four).
    for row in rows if len(live) <= SMALL_CHUNK else rows.iterator(chunk_size=5000):
        if row[1] in customers:
            records.setdefault(row[1], []).append(row)
            phone, street, postcode = row[_HOUSEHOLD_AT]
            if phone and street and postcode and is_landline(phone):
                result.households.add(row[1])
    pins: dict[int, dict[str, Pin]] = {}
    pinned_records = (
        ValuePin.objects.filter(customer_id__in=sorted(pinned))
        .order_by()
        .values_list("customer_id", "attribute", "value", "source_record_id", "source_record__source__code")
    )
    for customer_id, attribute, value, record_id, source in pinned_records if pinned else ():
        pins.setdefault(customer_id, {})[attribute] = Pin(value, record_id, source)

    replaced: list[int] = []  # stored rows a new row replaces
    removed: list[int] = []  # stored rows of attributes that have no value any more
    to_create: list[tuple] = []
    display_updates: list[tuple[int, dict[str, object]]] = []
    for customer_id in live:
        rows, seen = _survive_customer(records.get(customer_id, []), pins.get(customer_id, {}), ctx)
        old = stored.get(customer_id, {})
        changed = []
        for attribute, row in rows.items():
            fingerprint = row.fingerprint(seen)
            previous = old.get(attribute)
            if previous is not None and previous[2] == fingerprint:
                continue
            if previous is not None:
                replaced.append(previous[0])
            if (previous[1] if previous else "") != row.value:
                changed.append(attribute)
            to_create.append(
                (
                    customer_id,
                    attribute,
                    row.value,
                    row.record_id,
                    row.source_pk,
                    row.rule,
                    row.decided_by[:120],
                    row.competing(seen),
                    row.conflict,
                    row.pinned,
                    fingerprint,
                    ctx.now,
                )
            )
        for attribute, (pk, value, _) in old.items():
            if attribute not in rows:
                removed.append(pk)
                if value:
                    changed.append(attribute)
        display = _display_values(rows)
        if tuple(display.values()) != customers[customer_id]:
            display_updates.append((customer_id, display))
        result.refreshed.add(customer_id)
        if changed:
            result.changed[customer_id] = changed
        if changed or customer_id in keep_state:
            result.states[customer_id] = {name: row.value for name, row in rows.items() if row.value}
    _attributes_write(replaced, removed, to_create)
    if display_updates:
        _display_update(display_updates)
    result.rows_written += len(to_create)


def _attributes_write(replaced: list[int], removed: list[int], rows: list[tuple]) -> None:
    """Store the new attribute rows in place of the replaced ones. Many rows: delete, then COPY
    (PostgreSQL); a few (real-time resolution, a pin): one INSERT … ON CONFLICT UPDATE."""
    if len(rows) > SMALL_UPSERT:
        if replaced or removed:
            GoldenAttribute.objects.filter(ids_in("pk", replaced + removed)).delete()
        bulk_insert_rows(model=GoldenAttribute, fields=ATTRIBUTE_COLUMNS, rows=rows)
        return
    if removed:
        GoldenAttribute.objects.filter(ids_in("pk", removed)).delete()
    if rows:
        names = [GoldenAttribute._meta.get_field(name).attname for name in ATTRIBUTE_COLUMNS]
        GoldenAttribute.objects.bulk_create(
            [GoldenAttribute(**dict(zip(names, row, strict=True))) for row in rows],
            update_conflicts=True,
            unique_fields=["customer", "attribute"],
            update_fields=[name for name in ATTRIBUTE_COLUMNS if name not in ("customer", "attribute")],
        )


def _display_update(rows: list[tuple[int, dict[str, object]]]) -> None:
    """Write the display columns of many customers at once (Django's bulk_update builds a CASE
    expression per object and field, far too slow here)."""
    now = timezone.now()
    bulk_update_by_pk(
        Customer,
        [*DISPLAY_FIELDS, "updated_at"],
        [(pk, *(values[name] for name in DISPLAY_FIELDS), now) for pk, values in rows],
    )


def golden_attributes_clear(*, customer_ids: Iterable[int]) -> None:
    """Drop the golden attributes of golden records that hold no records any more (retired or
    deleted), so that provenance only ever points at linked records. (Their relationships go
    with the relationship refresh, which needs them to find the households they leave.)"""
    ids = sorted(set(customer_ids))
    for chunk in _chunks(ids):
        GoldenAttribute.objects.filter(customer_id__in=chunk).delete()


def golden_records_recompute(
    *,
    customer_ids: Iterable[int],
    actor: str,
    intents: dict[int, Change] | None = None,
    now: datetime | None = None,
    households_for: Iterable[int] | None = None,
) -> RefreshResult:
    """Recompute these golden records and log their changes, in the caller's transaction.

    `intents` are the structural changes the caller made (created, merged, split, deleted, or
    updated with moved records), logged whether or not a value changed; any other customer whose
    values changed is logged as updated. Retired and deleted golden records lose their golden
    attributes and relationships.

    By default every relationship of these golden records is recomputed. A caller that knows
    which households its change can touch (real-time resolution) names them in `households_for`;
    accounts are then recomputed only where the golden company changed or a golden record went."""
    from profiles.services.relationships import relationships_refresh

    intents = intents or {}
    households = None if households_for is None else {int(pk) for pk in households_for}
    ids = {int(pk) for pk in customer_ids} | set(intents) | (households or set())
    with transaction.atomic(savepoint=False):
        result = golden_attributes_refresh(customer_ids=ids, state_for=intents, now=now)
        gone = ids - result.refreshed
        if gone:
            golden_attributes_clear(customer_ids=gone)
        if households_for is None:
            relationships_refresh(customer_ids=ids, active=result.refreshed)
        else:
            accounts_for = {pk for pk, fields in result.changed.items() if "company" in fields} | gone
            # A golden record neither in a household nor holding a record that could put it in
            # one has no household to refresh.
            households &= result.households | gone
            relationships_refresh(accounts_for=accounts_for, households_for=households, active=result.refreshed)
        changes = []
        for customer_id in sorted(ids):
            fields = result.changed.get(customer_id, [])
            intent = intents.get(customer_id)
            if intent is None:
                if fields:
                    changes.append(
                        Change(customer_id, ChangeKind.UPDATED, None, result.states.get(customer_id, {}), fields)
                    )
                continue
            if intent.kind not in (ChangeKind.MERGED, ChangeKind.DELETED):
                intent.attributes = result.states.get(customer_id, {})
                intent.changed_fields = [*fields, *(f for f in intent.changed_fields if f not in fields)]
            changes.append(intent)
        customer_changes_append(changes=changes, actor=actor)
    return result


def golden_records_recompute_all(*, actor: str, chunk_size: int = CHUNK) -> dict[str, int]:
    """Recompute every active golden record (after a rule or trust change), one transaction per
    chunk, so a long recompute holds no lock for long and can be stopped and run again."""
    ids = list(Customer.objects.filter(status=CustomerStatus.ACTIVE).order_by("pk").values_list("pk", flat=True))
    figures = {"customers": len(ids), "changed": 0, "rows_written": 0}
    for chunk in _chunks(ids, chunk_size):
        with transaction.atomic():
            result = golden_records_recompute(customer_ids=chunk, actor=actor)
        figures["changed"] += len(result.changed)
        figures["rows_written"] += result.rows_written
    return figures
