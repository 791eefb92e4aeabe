"""Steward merge and split: atomic, audited, reversible, and respected by later match runs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connectors.models import SourceRecord
from profiles.choices import ChangeKind, ConstraintKind, CustomerEventKind, CustomerStatus, RunMode, RunStatus
from profiles.models import Customer, CustomerChange, CustomerEvent, LinkConstraint, ValuePin
from profiles.services.resolution import resolve_now
from profiles.services.stewardship import customer_event_undo, customer_merge, customer_split
from profiles.services.values import value_pin
from tests.profiles.conftest import golden_values

pytestmark = pytest.mark.django_db


def grouping() -> dict[int, int | None]:
    return dict(SourceRecord.objects.filter(is_deleted=False).values_list("pk", "customer_id"))


def constraints() -> set[tuple[int, int, str]]:
    return set(LinkConstraint.objects.values_list("record_a_id", "record_b_id", "kind"))


def changes_after(sequence: int) -> list[tuple[int, str, int | None]]:
    return list(CustomerChange.objects.filter(sequence__gt=sequence).values_list("customer_id", "kind", "survivor_id"))


def last_sequence() -> int:
    return CustomerChange.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


@pytest.fixture
def three(build):
    """Golden records A (two records), B and C (one each), and an older id D already redirected to B."""
    crm, web = build.source("crm", 0.9), build.source("web", 0.4)
    a1 = build.record(crm, given_name="Ann", family_name="Lee", email="ann@x.example")
    a2 = build.record(web, given_name="Ann", family_name="Lee", phone="+61298765432")
    b1 = build.record(web, given_name="Anne", family_name="Lee", email="anne@y.example")
    c1 = build.record(crm, given_name="Carl", family_name="Ng")
    a, b, c = build.customer(a1, a2), build.customer(b1), build.customer(c1)
    d = Customer.objects.create(status=CustomerStatus.RETIRED, merged_into=b)
    return {"A": a, "B": b, "C": c, "D": d, "a1": a1, "a2": a2, "b1": b1, "c1": c1}


def test_merge_moves_the_records_retires_the_others_with_a_redirect_and_is_audited(three):
    a, b, c, d = three["A"], three["B"], three["C"], three["D"]
    start = last_sequence()
    event = customer_merge(survivor=a, others=[b, c], actor="stew", reason="same person, per phone call")

    assert set(grouping().values()) == {a.pk}
    for other in (b, c):
        other.refresh_from_db()
        assert (other.status, other.merged_into_id) == (CustomerStatus.RETIRED, a.pk)
    d.refresh_from_db()
    assert d.merged_into_id == a.pk  # no chains: older redirects point straight at the survivor
    assert (event.kind, event.actor, event.customer_id) == (CustomerEventKind.ABSORBED, "stew", a.pk)
    before, after = event.parameters["before"], event.parameters["after"]
    assert before[str(b.pk)]["records"] == [three["b1"].pk]
    assert before[str(b.pk)]["attributes"]["email"] == "anne@y.example"
    assert sorted(after[str(a.pk)]["records"]) == sorted(
        r.pk for r in (three["a1"], three["a2"], three["b1"], three["c1"])
    )
    assert event.parameters["reason"] == "same person, per phone call"
    merged = CustomerEvent.objects.filter(kind=CustomerEventKind.MERGED).order_by("customer_id")
    assert [(e.customer_id, e.parameters["into"]) for e in merged] == [(b.pk, a.pk), (c.pk, a.pk)]
    # Every record must-links to the survivor's first record, so matching keeps them together.
    anchor = three["a1"].pk
    assert constraints() == {
        (min(anchor, r.pk), max(anchor, r.pk), ConstraintKind.MUST_LINK)
        for r in (three["a2"], three["b1"], three["c1"])
    }
    assert changes_after(start) == [
        (a.pk, ChangeKind.UPDATED, None),
        (b.pk, ChangeKind.MERGED, a.pk),
        (c.pk, ChangeKind.MERGED, a.pk),
    ]
    assert golden_values(a)["given_name"] == "Ann"
    assert not golden_values(b)  # a retired id keeps no golden values


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("self", "cannot be merged into itself"),
        ("none", "at least one other"),
        ("retired", "was merged into"),
        ("missing", "no golden record 999999"),
    ],
)
def test_merge_refuses_bad_requests_and_changes_nothing(three, case, message):
    a, b, d = three["A"], three["B"], three["D"]
    others = {"self": [a], "none": [], "retired": [d], "missing": [Customer(pk=999999)]}[case]
    before = grouping()
    with pytest.raises(ValidationError, match=message):
        customer_merge(survivor=a if case != "retired" else b, others=others, actor="stew")
    assert grouping() == before
    assert not LinkConstraint.objects.exists()


def test_split_moves_records_to_a_new_id_with_cannot_links_and_is_audited(three):
    a, a1, a2 = three["A"], three["a1"], three["a2"]
    start = last_sequence()
    event = customer_split(customer=a, record_ids=[a2.pk], actor="stew", reason="different people")
    new = Customer.objects.get(pk=event.parameters["into"][0])
    assert new.pk not in (three["B"].pk, three["C"].pk, three["D"].pk)
    assert grouping()[a2.pk] == new.pk and grouping()[a1.pk] == a.pk
    assert constraints() == {(min(a1.pk, a2.pk), max(a1.pk, a2.pk), ConstraintKind.CANNOT_LINK)}
    assert (event.kind, event.parameters["records"], event.parameters["revived"]) == (
        CustomerEventKind.SPLIT,
        [a2.pk],
        False,
    )
    assert event.parameters["before"][str(a.pk)]["records"] == sorted([a1.pk, a2.pk])
    assert event.parameters["after"][str(new.pk)]["attributes"]["phone"] == "+61298765432"
    assert CustomerEvent.objects.get(customer=new).kind == CustomerEventKind.CREATED
    assert changes_after(start) == [(new.pk, ChangeKind.CREATED, None), (a.pk, ChangeKind.SPLIT, None)]
    assert "phone" not in golden_values(a) or golden_values(a)["phone"] == ""


@pytest.mark.parametrize(
    ("case", "message"),
    [("none", "choose the source records"), ("all", "at least one source record"), ("stranger", "not linked")],
)
def test_split_refuses_bad_requests(three, case, message):
    a = three["A"]
    records = {"none": [], "all": [three["a1"].pk, three["a2"].pk], "stranger": [three["b1"].pk]}[case]
    before = grouping()
    with pytest.raises(ValidationError, match=message):
        customer_split(customer=a, record_ids=records, actor="stew")
    assert grouping() == before
    assert Customer.objects.count() == 4


def test_undo_merge_restores_records_ids_redirects_constraints_and_pins(three):
    a, b, c, d = three["A"], three["B"], three["C"], three["D"]
    a1, b1 = three["a1"], three["b1"]
    LinkConstraint.objects.create(
        record_a_id=min(a1.pk, b1.pk), record_b_id=max(a1.pk, b1.pk), kind=ConstraintKind.CANNOT_LINK, actor="old"
    )
    value_pin(customer=b, attribute="email", value="pinned@b.example", actor="stew")
    original = grouping()
    original_constraints = constraints()
    event = customer_merge(survivor=a, others=[b, c], actor="stew")
    assert golden_values(a)["email"] == "pinned@b.example"  # B's pin came along (A had none)
    start = last_sequence()

    undo = customer_event_undo(event=event, actor="boss")
    assert grouping() == original
    for other in (b, c):
        other.refresh_from_db()
        assert (other.status, other.merged_into_id) == (CustomerStatus.ACTIVE, None)
    d.refresh_from_db()
    assert d.merged_into_id == b.pk
    assert constraints() == original_constraints
    assert ValuePin.objects.get(attribute="email").customer_id == b.pk
    assert golden_values(b)["email"] == "pinned@b.example" and golden_values(a)["email"] == "ann@x.example"
    event.refresh_from_db()
    assert event.reverted_by_id == undo.pk and not event.is_undoable
    assert (undo.kind, undo.actor, undo.parameters["restored"]) == (CustomerEventKind.UNDONE, "boss", [b.pk, c.pk])
    assert sorted(changes_after(start)) == sorted(
        [(b.pk, ChangeKind.CREATED, None), (c.pk, ChangeKind.CREATED, None), (a.pk, ChangeKind.UPDATED, None)]
    )
    with pytest.raises(ValidationError, match="already undone"):
        customer_event_undo(event=event, actor="boss")


def test_undo_is_refused_once_the_records_moved_on(three):
    a, b, c = three["A"], three["B"], three["C"]
    event = customer_merge(survivor=a, others=[b], actor="stew")
    customer_merge(survivor=c, others=[a], actor="stew")
    with pytest.raises(ValidationError, match="merged into"):
        customer_event_undo(event=event, actor="stew")
    pin = CustomerEvent.objects.filter(kind=CustomerEventKind.MERGED).first()
    with pytest.raises(ValidationError, match="only a steward's merge or split"):
        customer_event_undo(event=pin, actor="stew")


def test_undo_split_folds_back_and_removes_the_cannot_links(three):
    a, a1, a2 = three["A"], three["a1"], three["a2"]
    LinkConstraint.objects.create(
        record_a_id=min(a1.pk, a2.pk), record_b_id=max(a1.pk, a2.pk), kind=ConstraintKind.MUST_LINK, actor="old"
    )
    original, original_constraints = grouping(), constraints()
    event = customer_split(customer=a, record_ids=[a2.pk], actor="stew")
    new_id = event.parameters["into"][0]
    start = last_sequence()
    customer_event_undo(event=event, actor="stew")
    assert grouping() == original
    assert constraints() == original_constraints  # the must-link the split replaced is back
    new = Customer.objects.get(pk=new_id)
    assert (new.status, new.merged_into_id) == (CustomerStatus.RETIRED, a.pk)
    assert changes_after(start) == [(a.pk, ChangeKind.UPDATED, None), (new_id, ChangeKind.MERGED, a.pk)]


def test_merge_then_split_restores_the_original_grouping_and_ids(three):
    a, b, c, d = three["A"], three["B"], three["C"], three["D"]
    original = grouping()
    customer_merge(survivor=a, others=[b, c], actor="stew")
    split_b = customer_split(customer=a, record_ids=[three["b1"].pk], actor="stew")
    split_c = customer_split(customer=a, record_ids=[three["c1"].pk], actor="stew")
    assert (split_b.parameters["into"], split_b.parameters["revived"]) == ([b.pk], True)
    assert (split_c.parameters["into"], split_c.parameters["revived"]) == ([c.pk], True)
    assert grouping() == original
    assert Customer.objects.count() == 4  # no new id was minted
    for customer in (b, c):
        customer.refresh_from_db()
        assert (customer.status, customer.merged_into_id) == (CustomerStatus.ACTIVE, None)
    assert CustomerEvent.objects.filter(customer=b, kind=CustomerEventKind.RESTORED).exists()
    assert golden_values(b)["email"] == "anne@y.example"
    d.refresh_from_db()
    assert (
        Customer.objects.get(pk=d.merged_into_id).status == CustomerStatus.ACTIVE
    )  # redirects still end at a live record
    # ...and a split can itself be undone, folding B back into A.
    customer_event_undo(event=split_b, actor="stew")
    b.refresh_from_db()
    assert (b.status, b.merged_into_id) == (CustomerStatus.RETIRED, a.pk)


def test_a_full_match_run_keeps_the_stewards_merge_and_split(imported):
    run = resolve_now(mode=RunMode.INCREMENTAL, actor="test")
    assert run.status == RunStatus.SUCCEEDED, run.error
    # Two unrelated golden records merged, and a multi-record one split.
    singles = list(Customer.objects.filter(status=CustomerStatus.ACTIVE).order_by("pk")[:2])
    survivor, other = singles
    customer_merge(survivor=survivor, others=[other], actor="stew")
    multi = next(
        c
        for c in Customer.objects.filter(status=CustomerStatus.ACTIVE).order_by("-pk")
        if c.source_records.count() >= 3
    )
    moved = list(multi.source_records.order_by("pk").values_list("pk", flat=True))[:1]
    split = customer_split(customer=multi, record_ids=moved, actor="stew")
    expected = grouping()

    run = resolve_now(mode=RunMode.FULL, actor="test")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert grouping() == expected
    assert Customer.objects.get(pk=other.pk).merged_into_id == survivor.pk
    assert grouping()[moved[0]] == split.parameters["into"][0]
