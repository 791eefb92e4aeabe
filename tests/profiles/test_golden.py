"""Golden records from linked source records: provenance, rules, pins, incremental recompute,
record deletion, relationships."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors.models import SourceRecord
from profiles.choices import (
    ChangeKind,
    CustomerEventKind,
    CustomerStatus,
    RelationshipKind,
    RunMode,
    SurvivorshipStrategy,
    ValueRule,
)
from profiles.constants import DEFAULT_RULES
from profiles.models import (
    CustomerChange,
    CustomerEvent,
    GoldenAttribute,
    Relationship,
    SurvivorshipRule,
    SurvivorshipRuleChange,
)
from profiles.selectors import customer_list
from profiles.services.golden import golden_records_recompute, golden_records_recompute_all
from profiles.services.resolution import resolve_now
from profiles.services.values import source_record_delete, survivorship_rule_update, value_pin, value_unpin
from tests.profiles.conftest import golden_row, golden_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def crm(build):
    return build.source("crm", 0.9)


@pytest.fixture
def web(build):
    return build.source("web", 0.4)


def test_each_golden_value_carries_its_provenance_and_the_display_columns_follow(build, crm, web):
    a = build.record(
        crm, given_name="Robert", family_name="Smith", email="rob@old.example", updated_at="2020-01-01T00:00:00Z"
    )
    b = build.record(
        web,
        given_name="Bob",
        family_name="Smith",
        email="bob@new.example",
        phone="+61298765432",
        updated_at="2025-06-01T00:00:00Z",
    )
    customer = build.customer(a, b)

    given = golden_row(customer, "given_name")
    assert (given.value, given.source_record_id, given.source_id, given.rule) == (
        "Robert",
        a.pk,
        crm.pk,
        SurvivorshipStrategy.HIGHEST_TRUST,
    )
    assert given.decided_by == "source trust"
    assert given.competing == [
        {
            "value": "Bob",
            "record": b.pk,
            "source": "web",
            "source_id": b.external_id,
            "seen_at": "2025-06-01T00:00:00+00:00",
        }
    ]
    # email: most recent among trusted sources (trust >= 0.6): the CRM's, although older.
    email = golden_row(customer, "email")
    assert (email.value, email.source_record_id, email.rule) == (
        "rob@old.example",
        a.pk,
        SurvivorshipStrategy.MOST_RECENT,
    )
    # the only phone comes from the less trusted source: still better than none.
    assert golden_row(customer, "phone").value == "+61298765432"
    full = golden_row(customer, "full_name")
    assert (full.value, full.rule) == ("Robert Smith", ValueRule.DERIVED)
    assert (customer.given_name, customer.family_name, customer.full_name, customer.email, customer.phone) == (
        "Robert",
        "Smith",
        "Robert Smith",
        "rob@old.example",
        "+61298765432",
    )


def test_the_default_rules_are_the_documented_ones_and_the_migration_agrees():
    migration = importlib.import_module("profiles.migrations.0004_default_survivorship_rules")
    assert {k: {n: str(v) if isinstance(v, str) else v for n, v in d.items()} for k, d in DEFAULT_RULES.items()} == (
        migration.DEFAULT_RULES
    )
    rules = {r.attribute: r for r in SurvivorshipRule.objects.all()}
    assert set(rules) == set(DEFAULT_RULES)
    assert rules["email"].strategy == SurvivorshipStrategy.MOST_RECENT and rules["email"].min_trust == 0.6
    assert (
        rules["date_of_birth"].strategy == SurvivorshipStrategy.MOST_FREQUENT and rules["date_of_birth"].flag_conflicts
    )
    assert rules["given_name"].strategy == SurvivorshipStrategy.HIGHEST_TRUST
    assert rules["phone"].strategy == SurvivorshipStrategy.TRUST_DECAY


def test_values_flagged_invalid_at_ingest_never_win(build, crm, web):
    # Ingest empties rejected values; a flagged value that did get stored must not win either.
    flagged = build.record(
        crm, email="bad@@example", issues={"email": "invalid email 'bad@@example'"}, updated_at="2025-01-01T00:00:00Z"
    )
    rejected = build.record(crm, issues={"date_of_birth": "invalid date '31/02/1990'"})
    good = build.record(web, email="good@example.com", date_of_birth=date(1990, 2, 3))
    customer = build.customer(flagged, rejected, good)
    email = golden_row(customer, "email")
    assert (email.value, email.source_record_id) == ("good@example.com", good.pk)
    assert {"invalid": "invalid email 'bad@@example'", "record": flagged.pk}.items() <= email.competing[0].items()
    dob = golden_row(customer, "date_of_birth")
    assert dob.value == "1990-02-03"
    assert [e["invalid"] for e in dob.competing] == ["invalid date '31/02/1990'"]
    assert customer.date_of_birth == date(1990, 2, 3)


def test_address_parts_come_together_from_one_record(build, crm):
    billing = build.source("billing", 0.85)
    old = build.record(
        crm, street="1 Old Rd", city="Perth", postcode="6000", state="WA", updated_at="2019-01-01T00:00:00Z"
    )
    new = build.record(billing, street="9 New St", postcode="2000", state="NSW", updated_at="2024-01-01T00:00:00Z")
    customer = build.customer(old, new)
    values = golden_values(customer)
    assert (values["street"], values["postcode"], values["state"]) == ("9 New St", "2000", "NSW")
    assert values["city"] == ""  # never Perth: that city belongs to the old address
    assert {golden_row(customer, p).source_record_id for p in ("street", "postcode", "state")} == {new.pk}
    assert golden_row(customer, "city").competing[0]["value"] == "Perth"


def test_date_of_birth_conflicts_are_flagged_and_filterable(build, crm, web):
    twin_a = build.record(crm, given_name="Ann", date_of_birth=date(1980, 1, 2))
    twin_b = build.record(web, given_name="Ann", date_of_birth=date(1981, 5, 6))
    agree = build.record(crm, given_name="Zoe", date_of_birth=date(1970, 1, 1))
    agree_too = build.record(web, given_name="Zoe", date_of_birth=date(1970, 1, 1))
    conflicted = build.customer(twin_a, twin_b)
    calm = build.customer(agree, agree_too)
    assert golden_row(conflicted, "date_of_birth").conflict
    assert not golden_row(calm, "date_of_birth").conflict
    assert not golden_row(conflicted, "given_name").conflict  # names do not flag conflicts by default
    assert list(customer_list(conflicts=True)) == [conflicted]
    assert {c.pk: c.has_conflicts for c in customer_list()} == {conflicted.pk: True, calm.pk: False}


def test_a_pin_wins_until_unpinned_and_both_are_audited(build, crm, web):
    a = build.record(crm, email="crm@example.com")
    b = build.record(web, email="web@example.com")
    customer = build.customer(a, b)
    before = CustomerChange.objects.count()

    value_pin(customer=customer, attribute="email", value="  Pinned@Example.COM ", actor="alice", reason="called her")
    email = golden_row(customer, "email")
    assert (email.value, email.rule, email.pinned, email.source_record_id) == (
        "pinned@example.com",
        ValueRule.STEWARD_OVERRIDE,
        True,
        None,
    )
    assert {e["value"] for e in email.competing} == {"crm@example.com", "web@example.com"}
    customer.refresh_from_db()
    assert customer.email == "pinned@example.com"
    # A full recompute (e.g. after a rule change) keeps the pin.
    golden_records_recompute_all(actor="test")
    assert golden_row(customer, "email").value == "pinned@example.com"

    value_pin(customer=customer, attribute="email", record_id=b.pk, actor="alice")
    email = golden_row(customer, "email")
    assert (email.value, email.source_record_id, email.rule) == ("web@example.com", b.pk, ValueRule.STEWARD_OVERRIDE)

    value_unpin(customer=customer, attribute="email", actor="bob")
    email = golden_row(customer, "email")
    assert (email.value, email.pinned, email.rule) == ("crm@example.com", False, SurvivorshipStrategy.MOST_RECENT)

    events = list(
        CustomerEvent.objects.filter(customer=customer).order_by("id").values_list("kind", "actor", "parameters")
    )
    assert [(k, a) for k, a, _ in events] == [
        (CustomerEventKind.PINNED, "alice"),
        (CustomerEventKind.PINNED, "alice"),
        (CustomerEventKind.UNPINNED, "bob"),
    ]
    assert events[0][2]["before"] == "crm@example.com" and events[0][2]["after"] == "pinned@example.com"
    assert events[2][2] == {"attribute": "email", "before": "web@example.com", "after": "crm@example.com"}
    changes = CustomerChange.objects.filter(sequence__gt=before).order_by("sequence")
    assert [(c.kind, c.changed_fields, c.attributes["email"]) for c in changes] == [
        (ChangeKind.UPDATED, ["email"], "pinned@example.com"),
        (ChangeKind.UPDATED, ["email"], "web@example.com"),
        (ChangeKind.UPDATED, ["email"], "crm@example.com"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attribute": "email", "value": "not an email"}, "not a valid email"),
        ({"attribute": "date_of_birth", "value": "31/02/1990"}, "not a valid date of birth"),
        ({"attribute": "full_name", "value": "Ann Lee"}, "cannot be pinned"),
        ({"attribute": "email", "value": "  "}, "enter a value"),
        ({"attribute": "email", "record_id": 999999}, "not linked"),
    ],
)
def test_bad_pins_are_refused_with_a_reason(build, crm, kwargs, message):
    customer = build.customer(build.record(crm, email="a@example.com"))
    with pytest.raises(ValidationError, match=message):
        value_pin(customer=customer, actor="alice", **kwargs)
    assert not customer.pins.exists()


def test_unpinning_what_is_not_pinned_is_refused(build, crm):
    customer = build.customer(build.record(crm, email="a@example.com"))
    with pytest.raises(ValidationError, match="not pinned"):
        value_unpin(customer=customer, attribute="email", actor="alice")


def test_recompute_queries_do_not_grow_with_the_number_of_golden_records(build, crm, web):
    def make(n: int) -> list[int]:
        ids = []
        for i in range(n):
            records = [
                build.record(crm, given_name=f"G{i}", email=f"g{i}@x.example"),
                build.record(web, phone="+61298765432"),
            ]
            ids.append(build.customer(*records, recompute=False).pk)
        return ids

    few, many = make(2), make(40)
    with CaptureQueriesContext(connection) as small:
        golden_records_recompute(customer_ids=few, actor="test")
    with CaptureQueriesContext(connection) as large:
        golden_records_recompute(customer_ids=many, actor="test")
    assert len(small) <= 20
    # SQLite inserts at most 83 attribute rows a statement; nothing else depends on the size.
    assert len(large) <= len(small) + 4


def test_a_pin_recomputes_only_its_golden_record_within_a_query_budget(build, crm, web, django_assert_max_num_queries):
    customers = [
        build.customer(
            build.record(crm, email=f"c{i}@x.example", given_name="Al"), build.record(web, email=f"w{i}@x.example")
        )
        for i in range(10)
    ]
    target = customers[3]
    others = GoldenAttribute.objects.exclude(customer=target)
    before = dict(others.values_list("pk", "updated_at"))
    with django_assert_max_num_queries(30):
        value_pin(customer=target, attribute="given_name", value="Alfred", actor="alice")
    assert dict(others.values_list("pk", "updated_at")) == before
    assert golden_values(target)["given_name"] == "Alfred"


def test_deleting_a_source_record_recomputes_its_golden_record(build, crm, web, django_assert_max_num_queries):
    a = build.record(crm, email="crm@example.com", given_name="Ann")
    b = build.record(web, email="web@example.com", given_name="Annie")
    customer = build.customer(a, b)
    before = CustomerChange.objects.count()
    with django_assert_max_num_queries(30):
        source_record_delete(record=a, actor="api")
    a.refresh_from_db()
    assert a.is_deleted and a.customer_id is None and not a.pending_resolution
    assert golden_values(customer)["email"] == "web@example.com"
    assert GoldenAttribute.objects.filter(customer=customer, source_record=a).count() == 0
    change = CustomerChange.objects.get(sequence=before + 1)
    assert (change.kind, change.customer_id) == (ChangeKind.UPDATED, customer.pk)
    assert set(change.changed_fields) == {"source_records", "email", "given_name", "full_name"}
    assert CustomerEvent.objects.filter(customer=customer, kind=CustomerEventKind.RECORD_DELETED).count() == 1
    # Deleting again changes nothing.
    source_record_delete(record=a, actor="api")
    assert CustomerChange.objects.count() == before + 1


def test_deleting_the_last_source_record_deletes_the_golden_record(build, crm):
    only = build.record(crm, email="solo@example.com")
    customer = build.customer(only)
    value_pin(customer=customer, attribute="email", value="pin@example.com", actor="alice")
    source_record_delete(record=only, actor="api")
    customer.refresh_from_db()
    assert customer.status == CustomerStatus.DELETED and customer.merged_into_id is None
    assert not GoldenAttribute.objects.filter(customer=customer).exists()
    assert not customer.pins.exists()
    last = CustomerChange.objects.order_by("-sequence").first()
    assert (last.kind, last.customer_id, last.attributes) == (ChangeKind.DELETED, customer.pk, {})
    assert customer not in customer_list()


def test_rule_edits_are_validated_audited_and_recompute_every_golden_record(
    build, crm, web, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    from profiles.tasks import golden_recompute_task

    a = build.record(crm, given_name="Robert")
    b = build.record(web, given_name="Roberto")
    customer = build.customer(a, b)
    rule = SurvivorshipRule.objects.get(attribute="given_name")
    with pytest.raises(ValidationError, match="unknown sources: nope"):
        survivorship_rule_update(
            rule=rule, actor="admin", strategy=SurvivorshipStrategy.SOURCE_PRIORITY, source_priority=["web", "nope"]
        )
    with pytest.raises(ValidationError, match="at least one source"):
        survivorship_rule_update(
            rule=rule, actor="admin", strategy=SurvivorshipStrategy.SOURCE_PRIORITY, source_priority=[]
        )
    with pytest.raises(ValidationError, match="between 0 and 1"):
        survivorship_rule_update(rule=rule, actor="admin", min_trust=1.5)
    assert not SurvivorshipRuleChange.objects.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        survivorship_rule_update(rule=rule, actor="admin", strategy=SurvivorshipStrategy.MOST_COMPLETE)
    assert len(callbacks) == 1
    assert OrmQ.objects.count() == 1  # the recompute task is queued
    change = SurvivorshipRuleChange.objects.get()
    assert (change.actor, change.before["strategy"], change.after["strategy"]) == (
        "admin",
        "highest-trust",
        "most-complete",
    )
    assert golden_values(customer)["given_name"] == "Robert"  # not yet recomputed
    assert golden_recompute_task("admin") == "1 golden records recomputed, 1 changed"
    assert golden_values(customer)["given_name"] == "Roberto"
    # Saving the same settings again records nothing.
    survivorship_rule_update(rule=rule, actor="admin", strategy=SurvivorshipStrategy.MOST_COMPLETE)
    assert SurvivorshipRuleChange.objects.count() == 1


def test_households_and_accounts_are_relationships(build, crm):
    shared = {"street": "7 Quarry Lane", "street_key": "7 quarry ln", "postcode": "3550", "postcode_key": "3550"}
    alice = build.customer(
        build.record(
            crm, given_name="Alice", phone="+61354417777", phone_key="+61354417777", company="Acme Pty Ltd", **shared
        )
    )
    bruno = build.customer(
        build.record(
            crm, given_name="Bruno", phone="+61354417777", phone_key="+61354417777", company="ACME PTY LTD", **shared
        )
    )
    # Sharing a mobile and an address is not a household (it is more likely one person twice).
    mobile = {"phone": "+61412345678", "phone_key": "+61412345678"}
    carl = build.customer(build.record(crm, given_name="Carl", **mobile, **shared))
    dana = build.customer(build.record(crm, given_name="Dana", **mobile, **shared))
    households = dict(Relationship.objects.filter(kind=RelationshipKind.HOUSEHOLD).values_list("customer_id", "key"))
    assert set(households) == {alice.pk, bruno.pk}
    assert households[alice.pk] == households[bruno.pk]
    accounts = dict(Relationship.objects.filter(kind=RelationshipKind.ACCOUNT).values_list("customer_id", "key"))
    assert accounts == {alice.pk: accounts[bruno.pk], bruno.pk: accounts[bruno.pk]}
    assert carl.pk not in households and dana.pk not in households
    # Bruno's record goes away: Alice is alone at the address, no household any more.
    source_record_delete(record=bruno.source_records.get(), actor="api")
    assert not Relationship.objects.filter(kind=RelationshipKind.HOUSEHOLD).exists()


def test_incremental_resolution_recomputes_only_the_golden_records_it_touched(imported, monkeypatch):
    from profiles.services import resolution

    run = resolve_now(mode=RunMode.INCREMENTAL, actor="test")
    assert CustomerChange.objects.filter(kind=ChangeKind.CREATED).count() == run.golden_records
    record = SourceRecord.objects.filter(source__code="crm").exclude(email="").first()
    fingerprints = dict(
        GoldenAttribute.objects.exclude(customer_id=record.customer_id).values_list("pk", "fingerprint")
    )
    last = CustomerChange.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    SourceRecord.objects.filter(pk=record.pk).update(
        email="brand.new@example.com",
        email_key="brand.new@example.com",
        source_updated_at="2030-01-01T00:00:00Z",
        pending_resolution=True,
    )
    seen = []
    real = resolution.golden_records_recompute

    def spy(**kwargs):
        seen.append(set(kwargs["customer_ids"]) | set(kwargs["intents"]))
        return real(**kwargs)

    monkeypatch.setattr(resolution, "golden_records_recompute", spy)
    resolve_now(mode=RunMode.INCREMENTAL, actor="test")
    record.refresh_from_db()
    assert seen == [{record.customer_id}]
    assert golden_values(record.customer)["email"] == "brand.new@example.com"
    changes = list(CustomerChange.objects.filter(sequence__gt=last))
    assert [(c.customer_id, c.kind) for c in changes] == [(record.customer_id, ChangeKind.UPDATED)]
    assert "email" in changes[0].changed_fields and changes[0].attributes["email"] == "brand.new@example.com"
    after = dict(GoldenAttribute.objects.exclude(customer_id=record.customer_id).values_list("pk", "fingerprint"))
    assert after == fingerprints
