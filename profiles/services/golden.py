"""Golden record attributes from linked source records.

Until survivorship rules exist, each attribute takes the value of the most trusted source,
then the most recently updated record, then the lowest record id: a deterministic choice that
matches what a steward would usually pick.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone

from connectors.models import SourceRecord
from profiles.models import Customer

GOLDEN_FIELDS = ("given_name", "family_name", "full_name", "email", "phone", "date_of_birth")


def golden_attributes_refresh(*, customer_ids: Iterable[int]) -> int:
    """Recompute the display attributes of these golden records; returns how many changed."""
    ids = sorted(set(customer_ids))
    changed = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        best: dict[int, dict[str, object]] = {}
        records = (
            SourceRecord.objects.filter(customer_id__in=chunk, is_deleted=False)
            .order_by(
                "customer_id",
                F("source__trust").desc(),
                F("source_updated_at").desc(nulls_last=True),
                "-received_at",
                "id",
            )
            .values_list("customer_id", *GOLDEN_FIELDS)
        )
        for customer_id, *values in records:
            chosen = best.setdefault(customer_id, {})
            for name, value in zip(GOLDEN_FIELDS, values, strict=True):
                if name not in chosen and value not in ("", None):
                    chosen[name] = value
        for customer in Customer.objects.filter(pk__in=chunk):
            values = best.get(customer.pk, {})
            new = {name: values.get(name, None if name == "date_of_birth" else "") for name in GOLDEN_FIELDS}
            if any(getattr(customer, name) != value for name, value in new.items()):
                for name, value in new.items():
                    setattr(customer, name, value)
                changed.append(customer)
    if changed:
        now = timezone.now()
        for customer in changed:
            customer.updated_at = now
        Customer.objects.bulk_update(changed, [*GOLDEN_FIELDS, "updated_at"], batch_size=2000)
    return len(changed)
