"""Steward merge and split of golden records, and their undo.

Both are atomic and audited: the steward's event holds who, when, the records and golden values
before and after, and everything needed to reverse the action exactly. Both also leave link
constraints behind so that matching never undoes them: a merge must-links every record of the
merged golden records to one anchor record (and drops cannot-links between them); a split
cannot-links every moved record to every record that stays, and must-links the moved records
together. Undo reverses the records, ids, redirects, pins and constraints the action changed.

Splitting off exactly the records that a merged-away golden record brought in brings that id
back (an unmerge), so merge → split restores the original golden ids, not just the grouping.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from connectors.models import SourceRecord
from profiles.choices import ChangeKind, ConstraintKind, CustomerEventKind, CustomerStatus
from profiles.models import Customer, CustomerEvent, GoldenAttribute, LinkConstraint, ValuePin
from profiles.services.changes import RECORDS_FIELD, Change
from profiles.services.golden import golden_records_recompute

Pair = tuple[int, int]


def _pair(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def _lock(ids: Iterable[int]) -> dict[int, Customer]:
    ids = sorted(set(ids))
    found = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError(f"no golden record {', '.join(map(str, missing))}")
    return found


def _require_active(customer: Customer) -> None:
    if customer.status == CustomerStatus.RETIRED:
        raise ValidationError(f"golden record {customer.pk} was merged into {customer.merged_into_id}")
    if customer.status != CustomerStatus.ACTIVE:
        raise ValidationError(f"golden record {customer.pk} is {customer.get_status_display().lower()}")


def _records_of(ids: Iterable[int]) -> dict[int, list[int]]:
    held: dict[int, list[int]] = {pk: [] for pk in ids}
    rows = SourceRecord.objects.filter(customer_id__in=list(held), is_deleted=False).order_by("pk")
    for pk, customer_id in rows.values_list("pk", "customer_id"):
        held[customer_id].append(pk)
    return held


def _values_of(ids: Iterable[int]) -> dict[int, dict[str, str]]:
    values: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    rows = GoldenAttribute.objects.filter(customer_id__in=list(values)).exclude(value="")
    for customer_id, attribute, value in rows.values_list("customer_id", "attribute", "value"):
        values[customer_id][attribute] = value
    return values


def _snapshot(ids: Iterable[int]) -> dict[str, dict[str, object]]:
    ids = list(ids)
    records, values = _records_of(ids), _values_of(ids)
    return {str(pk): {"records": records[pk], "attributes": values[pk]} for pk in ids}


def _constraints_among(record_ids: list[int]) -> dict[Pair, LinkConstraint]:
    found: dict[Pair, LinkConstraint] = {}
    for start in range(0, len(record_ids), 500):
        chunk = record_ids[start : start + 500]
        for c in LinkConstraint.objects.filter(record_a_id__in=chunk, record_b_id__in=record_ids):
            found[(c.record_a_id, c.record_b_id)] = c
    return found


def _constraint_rows(constraints: Iterable[LinkConstraint]) -> list[list[object]]:
    return [[c.record_a_id, c.record_b_id, c.kind, c.actor, c.reason] for c in constraints]


def _delete_pairs(pairs: Iterable[Pair], kind: str) -> None:
    wanted = {tuple(p) for p in pairs}
    if not wanted:
        return
    ids = sorted({r for pair in wanted for r in pair})
    doomed = [c.pk for pair, c in _constraints_among(ids).items() if pair in wanted and c.kind == kind]
    LinkConstraint.objects.filter(pk__in=doomed).delete()


def _restore(rows: Iterable[list[object]]) -> None:
    """Put back constraints an action removed or replaced (the pair's current constraint goes)."""
    rows = list(rows)
    if not rows:
        return
    ids = sorted({int(r) for row in rows for r in row[:2]})
    current = _constraints_among(ids)
    replaced = [current[(a, b)].pk for a, b, *_ in rows if (a, b) in current]
    LinkConstraint.objects.filter(pk__in=replaced).delete()
    LinkConstraint.objects.bulk_create(
        [
            LinkConstraint(record_a_id=a, record_b_id=b, kind=kind, actor=actor, reason=reason)
            for a, b, kind, actor, reason in rows
        ]
    )


def _add(pairs: Iterable[Pair], kind: str, actor: str, reason: str) -> None:
    LinkConstraint.objects.bulk_create(
        [LinkConstraint(record_a_id=a, record_b_id=b, kind=kind, actor=actor, reason=reason[:500]) for a, b in pairs],
        batch_size=1000,
    )


def customer_merge(*, survivor: Customer, others: Iterable[Customer], actor: str, reason: str = "") -> CustomerEvent:
    """Merge `others` into `survivor`: their records move to it, their ids retire with a
    redirect to it. Returns the steward event (the one to undo)."""
    other_ids = sorted({o.pk for o in others})
    if not other_ids:
        raise ValidationError("choose at least one other golden record to merge")
    if survivor.pk in other_ids:
        raise ValidationError("a golden record cannot be merged into itself")
    with transaction.atomic():
        locked = _lock([survivor.pk, *other_ids])
        for customer in locked.values():
            _require_active(customer)
        before = _snapshot([survivor.pk, *other_ids])
        held = {int(pk): state["records"] for pk, state in before.items()}
        everything = sorted(r for records in held.values() for r in records)
        existing = _constraints_among(everything)
        removed = [c for c in existing.values() if c.kind == ConstraintKind.CANNOT_LINK]
        LinkConstraint.objects.filter(pk__in=[c.pk for c in removed]).delete()
        linked = {pair for pair, c in existing.items() if c.kind == ConstraintKind.MUST_LINK}
        anchor = min(held[survivor.pk] or everything or [0])
        must = [_pair(anchor, r) for r in everything if r != anchor and _pair(anchor, r) not in linked]
        _add(must, ConstraintKind.MUST_LINK, actor, f"steward merge into golden record {survivor.pk}")
        SourceRecord.objects.filter(customer_id__in=other_ids, is_deleted=False).update(customer=survivor)
        redirects = {
            str(pk): list(Customer.objects.filter(merged_into_id=pk).order_by("pk").values_list("pk", flat=True))
            for pk in other_ids
        }
        Customer.objects.filter(merged_into_id__in=other_ids).update(merged_into=survivor)
        Customer.objects.filter(pk__in=other_ids).update(
            status=CustomerStatus.RETIRED, merged_into=survivor, updated_at=timezone.now()
        )
        moved_pins = _transfer_pins(survivor.pk, other_ids)
        event = CustomerEvent.objects.create(
            customer=survivor,
            kind=CustomerEventKind.ABSORBED,
            actor=actor,
            parameters={
                "steward": True,
                "action": "merge",
                "from": other_ids,
                "reason": reason[:500],
                "records": {str(pk): held[pk] for pk in other_ids},
                "redirects": redirects,
                "must_links": must,
                "removed_constraints": _constraint_rows(removed),
                "pins": moved_pins,
                "before": before,
            },
        )
        CustomerEvent.objects.bulk_create(
            [
                CustomerEvent(
                    customer_id=pk,
                    kind=CustomerEventKind.MERGED,
                    actor=actor,
                    parameters={"into": survivor.pk, "records": held[pk], "steward": True, "action_event": event.pk},
                )
                for pk in other_ids
            ]
        )
        intents = {pk: Change(pk, ChangeKind.MERGED, survivor_id=survivor.pk) for pk in other_ids}
        intents[survivor.pk] = Change(survivor.pk, ChangeKind.UPDATED, changed_fields=[RECORDS_FIELD])
        golden_records_recompute(customer_ids=[survivor.pk], actor=actor, intents=intents)
        event.parameters["after"] = _snapshot([survivor.pk])
        event.save(update_fields=["parameters"])
    return event


def _transfer_pins(survivor_id: int, other_ids: list[int]) -> dict[str, int]:
    """Pins of the merged-away records move to the survivor where it has none of its own:
    pin id -> the golden record it came from (for undo)."""
    taken = set(ValuePin.objects.filter(customer_id=survivor_id).values_list("attribute", flat=True))
    moved: dict[str, int] = {}
    for pin in ValuePin.objects.filter(customer_id__in=other_ids).order_by("customer_id", "pk"):
        if pin.attribute not in taken:
            taken.add(pin.attribute)
            moved[str(pin.pk)] = pin.customer_id
    ValuePin.objects.filter(pk__in=[int(pk) for pk in moved]).update(customer_id=survivor_id)
    return moved


def _return_pins(pins: dict[str, int], holder: int) -> None:
    for origin in set(pins.values()):
        ids = [int(pk) for pk, owner in pins.items() if owner == origin]
        ValuePin.objects.filter(pk__in=ids, customer_id=holder).update(customer_id=origin)


def _revivable(customer: Customer, moving: list[int]) -> tuple[Customer, CustomerEvent] | None:
    """A golden record merged into this one that brought in exactly these records."""
    retired = Customer.objects.select_for_update().filter(merged_into=customer, status=CustomerStatus.RETIRED)
    for candidate in retired.order_by("-pk"):
        merged = (
            CustomerEvent.objects.filter(customer=candidate, kind=CustomerEventKind.MERGED)
            .order_by("-created_at", "-pk")
            .first()
        )
        records = (merged.parameters or {}).get("records", []) if merged else []
        # Match-run events keep at most 50 records: a list that long may be incomplete.
        if len(records) < 50 and sorted(records) == moving:
            return candidate, merged
    return None


def customer_split(*, customer: Customer, record_ids: Iterable[int], actor: str, reason: str = "") -> CustomerEvent:
    """Move the chosen source records out of a golden record into another one: a new id, or
    the id they had before they were merged in. Returns the steward event (the one to undo)."""
    moving = sorted({int(r) for r in record_ids})
    if not moving:
        raise ValidationError("choose the source records to split off")
    with transaction.atomic():
        customer = _lock([customer.pk])[customer.pk]
        _require_active(customer)
        current = _records_of([customer.pk])[customer.pk]
        strangers = sorted(set(moving) - set(current))
        if strangers:
            raise ValidationError(
                f"source record{'s' if len(strangers) > 1 else ''} {', '.join(map(str, strangers))} "
                f"not linked to golden record {customer.pk}"
            )
        staying = sorted(set(current) - set(moving))
        if not staying:
            raise ValidationError("a split must leave at least one source record on the golden record")
        existing = _constraints_among(current)
        apart = [pair for pair, c in existing.items() if c.kind == ConstraintKind.CANNOT_LINK]
        inside = set(moving)
        clash = next((pair for pair in apart if pair[0] in inside and pair[1] in inside), None)
        if clash:
            raise ValidationError(f"source records {clash[0]} and {clash[1]} are cannot-linked: split them apart")
        before = _snapshot([customer.pk])
        revived = _revivable(customer, moving)
        if revived:
            target = revived[0]
            Customer.objects.filter(pk=target.pk).update(
                status=CustomerStatus.ACTIVE, merged_into=None, updated_at=timezone.now()
            )
            _return_pins(_pins_moved_by_merge(revived[1], target.pk), customer.pk)
        else:
            target = Customer.objects.create()
        SourceRecord.objects.filter(pk__in=moving).update(customer=target)
        across = [_pair(a, b) for a in moving for b in staying]
        replaced = [existing[p] for p in across if p in existing and existing[p].kind != ConstraintKind.CANNOT_LINK]
        LinkConstraint.objects.filter(pk__in=[c.pk for c in replaced]).delete()
        cannot = [p for p in across if p not in existing or existing[p].kind != ConstraintKind.CANNOT_LINK]
        _add(cannot, ConstraintKind.CANNOT_LINK, actor, f"steward split of golden record {customer.pk}")
        anchor = moving[0]
        must = [_pair(anchor, r) for r in moving[1:] if _pair(anchor, r) not in existing]
        _add(must, ConstraintKind.MUST_LINK, actor, f"steward split into golden record {target.pk}")
        event = CustomerEvent.objects.create(
            customer=customer,
            kind=CustomerEventKind.SPLIT,
            actor=actor,
            parameters={
                "steward": True,
                "action": "split",
                "into": [target.pk],
                "records": moving,
                "revived": bool(revived),
                "reason": reason[:500],
                "cannot_links": cannot,
                "must_links": must,
                "replaced_constraints": _constraint_rows(replaced),
                "before": before,
            },
        )
        CustomerEvent.objects.create(
            customer=target,
            kind=CustomerEventKind.RESTORED if revived else CustomerEventKind.CREATED,
            actor=actor,
            parameters={"split_from": customer.pk, "records": moving, "steward": True, "action_event": event.pk},
        )
        intents = {
            customer.pk: Change(customer.pk, ChangeKind.SPLIT, changed_fields=[RECORDS_FIELD]),
            target.pk: Change(target.pk, ChangeKind.CREATED, changed_fields=[RECORDS_FIELD]),
        }
        golden_records_recompute(customer_ids=[], actor=actor, intents=intents)
        event.parameters["after"] = _snapshot([customer.pk, target.pk])
        event.save(update_fields=["parameters"])
    return event


def _pins_moved_by_merge(merged: CustomerEvent, origin: int) -> dict[str, int]:
    action = (merged.parameters or {}).get("action_event")
    if not action:
        return {}
    main = CustomerEvent.objects.filter(pk=action).first()
    pins = (main.parameters or {}).get("pins", {}) if main else {}
    return {pk: owner for pk, owner in pins.items() if owner == origin}


def customer_event_undo(*, event: CustomerEvent, actor: str) -> CustomerEvent:
    """Reverse a steward merge or split recorded by `event`; returns the undo event."""
    with transaction.atomic():
        event = CustomerEvent.objects.select_for_update().get(pk=event.pk)
        parameters = event.parameters or {}
        if event.reverted_by_id:
            raise ValidationError(f"this {parameters.get('action', 'action')} was already undone")
        if not parameters.get("steward") or parameters.get("action") not in ("merge", "split"):
            raise ValidationError("only a steward's merge or split can be undone")
        undo = _undo_merge(event, actor) if parameters["action"] == "merge" else _undo_split(event, actor)
        event.reverted_by = undo
        event.save(update_fields=["reverted_by"])
    return undo


def _undo_merge(event: CustomerEvent, actor: str) -> CustomerEvent:
    parameters = event.parameters
    survivor_id = event.customer_id
    retired_ids = [int(pk) for pk in parameters["from"]]
    locked = _lock([survivor_id, *retired_ids])
    _require_active(locked[survivor_id])
    for pk in retired_ids:
        if locked[pk].status != CustomerStatus.RETIRED or locked[pk].merged_into_id != survivor_id:
            raise ValidationError(
                f"golden record {pk} has changed since the merge ({locked[pk].get_status_display().lower()}); "
                "it can no longer be undone"
            )
    restored, skipped = {}, []
    for pk in retired_ids:
        records = [int(r) for r in parameters["records"][str(pk)]]
        back = list(
            SourceRecord.objects.filter(pk__in=records, customer_id=survivor_id, is_deleted=False).values_list(
                "pk", flat=True
            )
        )
        SourceRecord.objects.filter(pk__in=back).update(customer_id=pk)
        restored[str(pk)] = sorted(back)
        skipped += sorted(set(records) - set(back))
    now = timezone.now()
    Customer.objects.filter(pk__in=retired_ids).update(status=CustomerStatus.ACTIVE, merged_into=None, updated_at=now)
    emptied = [pk for pk in retired_ids if not restored[str(pk)]]
    Customer.objects.filter(pk__in=emptied).update(status=CustomerStatus.DELETED)
    for pk, ids in parameters.get("redirects", {}).items():
        Customer.objects.filter(pk__in=ids, merged_into_id=survivor_id).update(merged_into_id=int(pk))
    _delete_pairs([tuple(p) for p in parameters.get("must_links", [])], ConstraintKind.MUST_LINK)
    _restore(parameters.get("removed_constraints", []))
    _return_pins(parameters.get("pins", {}), survivor_id)
    undo = CustomerEvent.objects.create(
        customer_id=survivor_id,
        kind=CustomerEventKind.UNDONE,
        actor=actor,
        parameters={
            "undo_of": event.pk,
            "action": "merge",
            "restored": retired_ids,
            "records": restored,
            "skipped_records": skipped,
        },
    )
    CustomerEvent.objects.bulk_create(
        [
            CustomerEvent(
                customer_id=pk,
                kind=CustomerEventKind.DELETED if pk in emptied else CustomerEventKind.RESTORED,
                actor=actor,
                parameters={"undo_of": event.pk, "records": restored[str(pk)]},
            )
            for pk in retired_ids
        ]
    )
    intents = {
        pk: Change(pk, ChangeKind.DELETED)
        if pk in emptied
        else Change(pk, ChangeKind.CREATED, changed_fields=[RECORDS_FIELD])
        for pk in retired_ids
    }
    intents[survivor_id] = Change(survivor_id, ChangeKind.UPDATED, changed_fields=[RECORDS_FIELD])
    golden_records_recompute(customer_ids=[], actor=actor, intents=intents)
    return undo


def _undo_split(event: CustomerEvent, actor: str) -> CustomerEvent:
    parameters = event.parameters
    origin_id = event.customer_id
    target_id = int(parameters["into"][0])
    locked = _lock([origin_id, target_id])
    _require_active(locked[origin_id])
    if locked[target_id].status != CustomerStatus.ACTIVE:
        raise ValidationError(
            f"golden record {target_id} has changed since the split "
            f"({locked[target_id].get_status_display().lower()}); it can no longer be undone"
        )
    back = _records_of([target_id])[target_id]
    SourceRecord.objects.filter(pk__in=back).update(customer_id=origin_id)
    Customer.objects.filter(merged_into_id=target_id).update(merged_into_id=origin_id)
    Customer.objects.filter(pk=target_id).update(
        status=CustomerStatus.RETIRED, merged_into_id=origin_id, updated_at=timezone.now()
    )
    _delete_pairs([tuple(p) for p in parameters.get("cannot_links", [])], ConstraintKind.CANNOT_LINK)
    _delete_pairs([tuple(p) for p in parameters.get("must_links", [])], ConstraintKind.MUST_LINK)
    _restore(parameters.get("replaced_constraints", []))
    undo = CustomerEvent.objects.create(
        customer_id=origin_id,
        kind=CustomerEventKind.UNDONE,
        actor=actor,
        parameters={"undo_of": event.pk, "action": "split", "retired": [target_id], "records": back},
    )
    CustomerEvent.objects.create(
        customer_id=target_id,
        kind=CustomerEventKind.MERGED,
        actor=actor,
        parameters={"into": origin_id, "records": back, "undo_of": event.pk},
    )
    intents = {
        target_id: Change(target_id, ChangeKind.MERGED, survivor_id=origin_id),
        origin_id: Change(origin_id, ChangeKind.UPDATED, changed_fields=[RECORDS_FIELD]),
    }
    golden_records_recompute(customer_ids=[], actor=actor, intents=intents)
    return undo
