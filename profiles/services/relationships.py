"""Relationships between golden records: households and account membership.

- Household: active golden records whose source records share a street, a postcode and a
  landline (match keys). Matching keeps household members apart on purpose (the household
  rule); this keeps them visibly related.
- Account: a golden record belongs to the account of its golden `company` (by company key).

Both are memberships (`Relationship` rows sharing kind and key), so a large account costs one
row per member, not one per pair. Recomputed for the golden records a change touched; a
household is recomputed whole (every member), since one member leaving changes the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from django.db.models import Q, Subquery

from connectors.models import SourceRecord
from connectors.standardisation import company_key
from profiles.choices import CustomerStatus, RelationshipKind
from profiles.models import Customer, GoldenAttribute, Relationship
from profiles.services.golden import ids_filter

CHUNK = 2000
_LANDLINE_TYPES = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


@lru_cache(maxsize=1 << 16)
def is_landline(e164: str) -> bool:
    """A fixed-line number (or one a numbering plan cannot tell from a mobile, as in the US)."""
    try:
        return phonenumbers.number_type(phonenumbers.parse(e164, None)) in _LANDLINE_TYPES
    except phonenumbers.NumberParseException:
        return False


def _household_key(phone_key: str, street_key: str, postcode_key: str) -> str:
    return f"{postcode_key}|{street_key}|{phone_key}"


def relationships_refresh(
    *,
    customer_ids: Iterable[int] = (),
    accounts_for: Iterable[int] | None = None,
    households_for: Iterable[int] | None = None,
    active: set[int] | None = None,
) -> None:
    """Recompute the households and accounts of these golden records (and of their households).

    `accounts_for` / `households_for` name other golden records than `customer_ids` for one of
    the two (a caller that knows which can have changed); `active`, the live golden records
    among all of them when the caller has just read that (saves a query)."""
    ids = {int(pk) for pk in customer_ids}
    accounts = ids if accounts_for is None else {int(pk) for pk in accounts_for}
    households = ids if households_for is None else {int(pk) for pk in households_for}
    every = sorted(accounts | households)
    for start in range(0, len(every), CHUNK):
        chunk = every[start : start + CHUNK]
        if active is None:
            live = set(Customer.objects.filter(pk__in=chunk, status=CustomerStatus.ACTIVE).values_list("pk", flat=True))
        else:
            live = active
        account_chunk = [pk for pk in chunk if pk in accounts]
        if account_chunk:
            _accounts_refresh(account_chunk, live)
        household_chunk = [pk for pk in chunk if pk in households]
        if household_chunk:
            _households_refresh(household_chunk, live)


def _accounts_refresh(chunk: list[int], active: set[int]) -> None:
    wanted: dict[tuple[int, str], str] = {}
    companies = GoldenAttribute.objects.filter(ids_filter("customer_id", chunk), attribute="company").exclude(value="")
    for customer_id, name in companies.order_by().values_list("customer_id", "value"):
        if customer_id not in active:
            continue
        key = company_key(name)
        if key:
            wanted[(customer_id, key[:400])] = name[:400]
    existing = Relationship.objects.filter(ids_filter("customer_id", chunk), kind=RelationshipKind.ACCOUNT).order_by()
    members = set(chunk)
    stale = []
    for pk, customer_id, key, label in existing.values_list("pk", "customer_id", "key", "label"):
        if customer_id not in members:
            continue
        if wanted.get((customer_id, key)) == label:
            del wanted[(customer_id, key)]
        else:
            stale.append(pk)
    if stale:
        Relationship.objects.filter(pk__in=stale).delete()
    Relationship.objects.bulk_create(
        [
            Relationship(customer_id=customer_id, kind=RelationshipKind.ACCOUNT, key=key, label=label)
            for (customer_id, key), label in sorted(wanted.items())
        ],
        batch_size=1000,
    )


def _households_refresh(chunk: list[int], active: set[int]) -> None:
    addressed = SourceRecord.objects.filter(is_deleted=False).exclude(phone_key="").exclude(street_key="")
    addressed = addressed.exclude(postcode_key="").order_by()
    keys: set[str] = set()
    for customer_id, phone, street, postcode in addressed.filter(ids_filter("customer_id", chunk)).values_list(
        "customer_id", "phone_key", "street_key", "postcode_key"
    ):
        if customer_id in active and is_landline(phone):
            keys.add(_household_key(phone, street, postcode))
    existing = Relationship.objects.filter(kind=RelationshipKind.HOUSEHOLD).order_by()
    # Every stored membership of the households these golden records are in or may join, in one
    # query: those of the keys their records carry, and those of the households they are in.
    theirs = existing.filter(ids_filter("customer_id", chunk)).values("key")
    rows = list(
        existing.filter(Q(key__in=sorted(keys)) | Q(key__in=Subquery(theirs))).values_list("pk", "customer_id", "key")
    )
    in_chunk = set(chunk)
    keys.update(key for _, customer_id, key in rows if customer_id in in_chunk)
    if not keys:
        return
    phones = sorted({key.rsplit("|", 1)[1] for key in keys})
    members: dict[str, set[int]] = {}
    labels: dict[str, str] = {}
    # Only live golden records hold records (merges move them, deletions unlink them): no join
    # with the customers, which also keeps the planner off a nested loop over all of them.
    sharing = addressed.filter(phone_key__in=phones, customer__isnull=False).values_list(
        "customer_id", "phone_key", "street_key", "postcode_key", "street", "city", "postcode"
    )
    for customer_id, phone, street_key, postcode_key, street, city, postcode in sharing:
        key = _household_key(phone, street_key, postcode_key)
        if key in keys:
            members.setdefault(key, set()).add(customer_id)
            labels.setdefault(key, " ".join(part for part in (f"{street},", city, postcode) if part).strip(", "))
    stored = {(customer_id, key): pk for pk, customer_id, key in rows if key in keys}
    wanted = {(customer_id, key) for key, ids in members.items() if len(ids) > 1 for customer_id in ids}
    gone = [pk for pair, pk in stored.items() if pair not in wanted]
    if gone:
        Relationship.objects.filter(pk__in=gone).delete()
    Relationship.objects.bulk_create(
        [
            Relationship(customer_id=customer_id, kind=RelationshipKind.HOUSEHOLD, key=key, label=labels[key][:400])
            for customer_id, key in sorted(wanted - stored.keys())
        ],
        batch_size=1000,
    )
