"""Real-time identity resolution (`records_resolve_now`, what the API upsert calls): what it
writes, what it leaves alone, and what it costs in queries."""

from __future__ import annotations

import pytest
from django.db import connection

from connectors.models import SourceRecord
from profiles.choices import Decision, PairStatus, RelationshipKind
from profiles.models import Customer, MatchPair, MatchPairComment, Relationship
from profiles.services.decisions import match_pair_decide
from profiles.services.resolution import records_resolve_now
from tests.profiles.test_resolution import add_record, incremental

pytestmark = pytest.mark.django_db

HOME = {"street": "7 Quarry Lane", "city": "Bendigo", "postcode": "3550", "phone": "(03) 5441 7777"}


def clone(record: SourceRecord, external_id: str) -> SourceRecord:
    """A new record of the same source with exactly the same values, not yet resolved."""
    record = SourceRecord.objects.get(pk=record.pk)
    record.pk = None
    record.external_id = external_id
    record.customer = None
    record.pending_resolution = True
    record.save()
    return record


def households() -> dict[int, str]:
    return dict(Relationship.objects.filter(kind=RelationshipKind.HOUSEHOLD).values_list("customer_id", "key"))


def test_households_follow_records_resolved_one_by_one(imported):
    incremental()
    alice = add_record(
        "crm",
        "H-1",
        given_name="Alice",
        family_name="Marchetti",
        date_of_birth="04/02/1961",
        email="am@x.example",
        **HOME,
    )
    a = records_resolve_now(record_ids=[alice.pk], actor="api")[alice.pk]
    assert a not in households()  # alone at the address: no household yet
    bruno = add_record("crm", "H-2", given_name="Bruno", family_name="Marchetti", date_of_birth="11/30/1958", **HOME)
    b = records_resolve_now(record_ids=[bruno.pk], actor="api")[bruno.pk]
    assert a != b
    found = households()
    assert found[a] == found[b]
    # Alice again from another source, with no phone: joins her golden record, changes no household.
    again = add_record("erp", "H-3", full_name="MARCHETTI, Alice", email="am@x.example")
    assert records_resolve_now(record_ids=[again.pk], actor="api") == {again.pk: a}
    assert households() == found
    # Bruno moves out (a changed record): the household is gone for both.
    SourceRecord.objects.filter(pk=bruno.pk).update(
        street="1 Other St", street_key="1 other st", pending_resolution=True
    )
    assert records_resolve_now(record_ids=[bruno.pk], actor="api") == {bruno.pk: b}
    assert a not in households() and b not in households()


def test_pairs_it_did_not_score_again_are_kept(imported):
    incremental()
    pair = MatchPair.objects.filter(status=PairStatus.REVIEW).order_by("id").first()
    assert pair is not None
    copy = clone(pair.record_a, "COPY-1")
    result = records_resolve_now(record_ids=[copy.pk], actor="api")
    assert result[copy.pk] in (pair.record_a.customer_id, pair.record_b.customer_id)
    # The review pair between two records that did not change is still waiting for a steward.
    assert MatchPair.objects.get(pk=pair.pk).status == PairStatus.REVIEW
    assert MatchPair.objects.filter(record_b_id=copy.pk, status=PairStatus.LINKED).exists()


def test_pairs_of_a_changed_record_are_scored_again_and_their_comments_go_with_them(imported):
    incremental()
    pair = MatchPair.objects.filter(status=PairStatus.REVIEW).order_by("id").first()
    MatchPairComment.objects.create(pair=pair, author="steward", text="looks like a sibling")
    SourceRecord.objects.filter(pk=pair.record_a_id).update(pending_resolution=True)
    records_resolve_now(record_ids=[pair.record_a_id], actor="api")
    assert not MatchPair.objects.filter(pk=pair.pk).exists()
    assert not MatchPairComment.objects.exists()
    # Scored again in the record's new neighbourhood: kept as a new pair unless it is a no-match now.
    again = MatchPair.objects.filter(record_a_id=pair.record_a_id, record_b_id=pair.record_b_id).first()
    assert again is None or again.status in (PairStatus.REVIEW, PairStatus.LINKED)


def test_a_no_match_decision_splits_at_once(imported):
    incremental()
    pair = MatchPair.objects.filter(status=PairStatus.LINKED).order_by("-probability").first()
    match_pair_decide(pair=pair, decision=Decision.NO_MATCH, actor="steward")
    result = records_resolve_now(record_ids=[pair.record_a_id, pair.record_b_id], actor="api")
    assert result[pair.record_a_id] != result[pair.record_b_id]
    assert not SourceRecord.objects.filter(
        pk__in=[pair.record_a_id, pair.record_b_id], pending_resolution=True
    ).exists()


def test_a_record_received_again_after_it_was_loaded_stays_pending(imported):
    incremental()
    late = add_record("crm", "LATE-1", given_name="Zebediah", family_name="Quixote", email="zq@nowhere.example")
    SourceRecord.objects.filter(pk=late.pk).update(received_at="2099-01-01T00:00:00Z")
    customer = records_resolve_now(record_ids=[late.pk], actor="api")[late.pk]
    late.refresh_from_db()
    assert late.customer_id == customer
    assert late.pending_resolution  # changed after the resolution read it: the next run looks again


def test_unknown_and_deleted_records_get_no_golden_record(imported):
    incremental()
    gone = SourceRecord.objects.filter(customer__isnull=False).first()
    SourceRecord.objects.filter(pk=gone.pk).update(is_deleted=True)
    assert records_resolve_now(record_ids=[gone.pk, 10**9], actor="api") == {}


def test_one_new_record_costs_a_bounded_number_of_queries(imported, django_assert_max_num_queries):
    incremental()
    known = SourceRecord.objects.filter(source__code="crm").exclude(email="").first()
    records_resolve_now(
        record_ids=[add_record("crm", "WARM", given_name="Warm", family_name="Up", email="w@x.example").pk], actor="t"
    )
    copy = add_record("support", "Q-1", full_name=f"{known.given_name} {known.family_name}", email=known.email)
    stranger = add_record("support", "Q-2", full_name="Zebediah Quixote", email="zq@nowhere.example")
    # Scope (3), settings + model (1), constraints (1), link (1-2), pairs (2), golden values (5-6),
    # change log (2-3), and on SQLite the inserts PostgreSQL streams with COPY.
    budget = 17 if connection.vendor == "postgresql" else 20
    with django_assert_max_num_queries(budget):
        assert records_resolve_now(record_ids=[copy.pk], actor="api") == {copy.pk: known.customer_id}
    with django_assert_max_num_queries(budget):
        customer = records_resolve_now(record_ids=[stranger.pk], actor="api")[stranger.pk]
    assert Customer.objects.get(pk=customer).source_records.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement scope read is PostgreSQL's")
def test_scope_of_many_records_in_one_statement_is_the_union_of_its_chunks(imported):
    from profiles.selectors import _scope_members_pg, resolution_scope_members

    incremental()
    ids = sorted(SourceRecord.objects.values_list("pk", flat=True))[:250]
    SourceRecord.objects.filter(pk=ids[3]).update(is_deleted=True)  # a deleted focus record brings nothing
    records: set[int] = set()
    customers: set[int] = set()
    for start in range(0, len(ids), 100):  # the OR of keys, 100 records at a time
        found, touched = resolution_scope_members(ids[start : start + 100])
        records |= found
        customers |= touched
    assert len(records) > len(ids) - 1 and ids[3] not in records
    assert _scope_members_pg(ids) == (records, customers)
    assert resolution_scope_members(ids) == (records, customers)


def test_many_records_resolved_at_once_are_linked_and_marked_resolved(imported):
    """Above the small-batch limits (scope, links, pairs) the set-based writes link every record
    to the live golden record the call answers, clear the resolved flags and store valid pairs."""
    incremental()
    ids = sorted(SourceRecord.objects.values_list("pk", flat=True))[:250]
    late = ids[-1]
    SourceRecord.objects.filter(pk__in=ids).update(pending_resolution=True)
    SourceRecord.objects.filter(pk=late).update(received_at="2099-01-01T00:00:00Z")
    linked = records_resolve_now(record_ids=ids, actor="api")
    assert sorted(linked) == ids
    assert dict(SourceRecord.objects.filter(pk__in=ids).values_list("pk", "customer_id")) == linked
    assert set(Customer.objects.filter(pk__in=set(linked.values())).values_list("status", flat=True)) == {"active"}
    still_pending = set(SourceRecord.objects.filter(pk__in=ids, pending_resolution=True).values_list("pk", flat=True))
    assert still_pending == {late}  # received after the resolution read it
    pairs = MatchPair.objects.filter(record_a_id__in=ids, run__isnull=True)
    assert pairs.exists()
    assert all(p.record_a_id < p.record_b_id and p.weights and p.model_id for p in pairs)
