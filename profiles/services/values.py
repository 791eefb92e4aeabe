"""Steward overrides of golden values (pins), survivorship rule edits, source record deletion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from connectors import standardisation as std
from connectors.models import SourceRecord, SourceSystem
from profiles.choices import ChangeKind, CustomerEventKind, CustomerStatus, SurvivorshipStrategy
from profiles.constants import PINNABLE_ATTRIBUTES
from profiles.models import Customer, CustomerEvent, GoldenAttribute, SurvivorshipRule, SurvivorshipRuleChange, ValuePin
from profiles.services.changes import RECORDS_FIELD, Change
from profiles.services.golden import golden_records_recompute


def _golden_value(customer: Customer, attribute: str) -> str:
    row = GoldenAttribute.objects.filter(customer=customer, attribute=attribute).values_list("value", flat=True)
    return next(iter(row), "")


def _country_of(customer: Customer) -> str | None:
    return _golden_value(customer, "country") or None


# How a typed value is checked and standardised, as if a source had sent it.
_CLEANERS: dict[str, Callable[[str, Customer], str | None]] = {
    "given_name": lambda v, c: std.clean_name(v),
    "family_name": lambda v, c: std.clean_name(v),
    "email": lambda v, c: std.clean_email(v),
    "phone": lambda v, c: std.clean_phone(v, _country_of(c)),
    "date_of_birth": lambda v, c: (lambda d: d.isoformat() if d else None)(std.parse_date(v)),
    "street": lambda v, c: std.clean_street(v),
    "city": lambda v, c: std.clean_city(v),
    "postcode": lambda v, c: std.clean_postcode(v, _country_of(c)),
    "state": lambda v, c: std.clean_state(v, _country_of(c)),
    "country": lambda v, c: std.clean_country(v),
    "company": lambda v, c: std.clean_company(v),
    "national_id": lambda v, c: std.clean_national_id(v),
}


def _active(customer: Customer) -> Customer:
    """The customer, locked, and refused unless it is a live golden record."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status != CustomerStatus.ACTIVE:
        raise ValidationError(f"golden record {customer.pk} is {locked.get_status_display().lower()}")
    return locked


def value_pin(
    *,
    customer: Customer,
    attribute: str,
    actor: str,
    value: str = "",
    record_id: int | None = None,
    reason: str = "",
) -> ValuePin:
    """Pin a golden value: a linked source record's value (`record_id`) or a typed one, checked
    and standardised like an ingested value. It wins over the rules until unpinned."""
    if attribute not in PINNABLE_ATTRIBUTES:
        raise ValidationError(f"{attribute!r} cannot be pinned; choose one of {', '.join(PINNABLE_ATTRIBUTES)}")
    with transaction.atomic():
        customer = _active(customer)
        record = None
        if record_id is not None:
            record = SourceRecord.objects.filter(pk=record_id, customer=customer, is_deleted=False).first()
            if record is None:
                raise ValidationError(f"source record {record_id} is not linked to golden record {customer.pk}")
            raw = getattr(record, attribute)
            value = raw.isoformat() if isinstance(raw, date) else (raw or "")
            if not value or attribute in (record.quality_issues or {}):
                raise ValidationError(f"source record {record_id} has no valid {attribute.replace('_', ' ')}")
        else:
            text = (value or "").strip()
            if not text:
                raise ValidationError("enter a value to pin or pick one of the source values")
            cleaned = _CLEANERS[attribute](text, customer)
            if not cleaned or len(cleaned) > ValuePin._meta.get_field("value").max_length:
                raise ValidationError(f"{text[:80]!r} is not a valid {attribute.replace('_', ' ')}")
            value = cleaned
        before = _golden_value(customer, attribute)
        pin, _ = ValuePin.objects.update_or_create(
            customer=customer,
            attribute=attribute,
            defaults={"value": value, "source_record": record, "actor": actor, "reason": reason[:500]},
        )
        CustomerEvent.objects.create(
            customer=customer,
            kind=CustomerEventKind.PINNED,
            actor=actor,
            parameters={
                "attribute": attribute,
                "before": before,
                "after": value,
                "record": record_id,
                "reason": reason[:500],
            },
        )
        golden_records_recompute(customer_ids=[customer.pk], actor=actor)
    return pin


def value_unpin(*, customer: Customer, attribute: str, actor: str) -> None:
    """Remove a steward's pin; the attribute's rule decides again."""
    with transaction.atomic():
        customer = _active(customer)
        pin = ValuePin.objects.filter(customer=customer, attribute=attribute).first()
        if pin is None:
            raise ValidationError(f"{attribute.replace('_', ' ')} of golden record {customer.pk} is not pinned")
        pin.delete()
        golden_records_recompute(customer_ids=[customer.pk], actor=actor)
        CustomerEvent.objects.create(
            customer=customer,
            kind=CustomerEventKind.UNPINNED,
            actor=actor,
            parameters={"attribute": attribute, "before": pin.value, "after": _golden_value(customer, attribute)},
        )


def survivorship_rule_update(*, rule: SurvivorshipRule, actor: str, **changes: object) -> SurvivorshipRule:
    """Change a rule's settings, audited with before and after; every golden record is then
    recomputed in the background (and by every full match run)."""
    editable = set(rule.snapshot())
    unknown = set(changes) - editable
    if unknown:
        raise ValidationError(f"unknown rule settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        rule = SurvivorshipRule.objects.select_for_update().get(pk=rule.pk)
        before = rule.snapshot()
        for name, value in changes.items():
            setattr(rule, name, value)
        if rule.strategy == SurvivorshipStrategy.SOURCE_PRIORITY or rule.source_priority:
            known = set(SourceSystem.objects.values_list("code", flat=True))
            missing = [code for code in rule.source_priority or [] if code not in known]
            if missing:
                raise ValidationError({"source_priority": f"unknown sources: {', '.join(missing)}"})
        rule.full_clean()
        after = rule.snapshot()
        if after == before:
            return rule
        rule.updated_by = actor
        rule.save()
        SurvivorshipRuleChange.objects.create(rule=rule, actor=actor, before=before, after=after)
        transaction.on_commit(lambda: _enqueue_recompute(actor))
    return rule


def _enqueue_recompute(actor: str) -> None:
    from django_q.tasks import async_task

    async_task("profiles.tasks.golden_recompute_task", actor, task_name="golden-recompute")


def source_record_delete(*, record: SourceRecord, actor: str) -> SourceRecord:
    """Mark a source record deleted (its source deleted it) and unlink it; its golden record is
    recomputed, or deleted when it has no active record left (a `deleted` change, no redirect:
    nobody holds the customer any more). Deleting a deleted record changes nothing."""
    with transaction.atomic():
        record = SourceRecord.objects.select_for_update().get(pk=record.pk)
        if record.is_deleted:
            return record
        customer_id = record.customer_id
        record.is_deleted = True
        record.customer = None
        record.pending_resolution = False
        record.save(update_fields=["is_deleted", "customer", "pending_resolution"])
        if customer_id is None:
            return record
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        parameters = {"record": record.pk, "source": record.source.code, "source_id": record.external_id}
        remaining = SourceRecord.objects.filter(customer=customer, is_deleted=False).exists()
        CustomerEvent.objects.create(
            customer=customer, kind=CustomerEventKind.RECORD_DELETED, actor=actor, parameters=parameters
        )
        if remaining:
            intent = Change(customer.pk, ChangeKind.UPDATED, changed_fields=[RECORDS_FIELD])
        else:
            Customer.objects.filter(pk=customer.pk).update(status=CustomerStatus.DELETED)
            ValuePin.objects.filter(customer=customer).delete()
            CustomerEvent.objects.create(
                customer=customer, kind=CustomerEventKind.DELETED, actor=actor, parameters=parameters
            )
            intent = Change(customer.pk, ChangeKind.DELETED)
        golden_records_recompute(customer_ids=[customer.pk], actor=actor, intents={customer.pk: intent})
    return record
