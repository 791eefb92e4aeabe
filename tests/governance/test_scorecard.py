"""Source scorecards against a hand-computed fixture."""

from __future__ import annotations

from datetime import date

import pytest

from governance.selectors import source_scorecard
from profiles.models import Customer


@pytest.mark.django_db
def test_scorecard_figures(sources, make_record):
    crm, erp = sources["crm"], sources["erp"]
    ann, bob = Customer.objects.create(full_name="Ann"), Customer.objects.create(full_name="Bob")
    names = {"given_name": "A", "family_name": "B", "full_name": "A B"}
    # r1: all three validated attributes fine; linked to Ann
    make_record(crm, customer=ann, email="a@x.com", phone="+61200000000", date_of_birth=date(1990, 1, 1), **names)
    # r2: email rejected (flagged, left empty); phone fine; also Ann: a duplicate inside crm
    make_record(crm, customer=ann, phone="+61200000001", quality_issues={"email": "invalid email 'a@'"}, **names)
    # r3: email fine, phone never given; Bob
    make_record(crm, customer=bob, email="b@x.com", **names)
    # r4: phone rejected; not linked
    make_record(crm, quality_issues={"phone": "unparseable phone"}, **names)
    # deleted records do not count, nor do other sources' records linked to the same customers
    make_record(crm, customer=bob, email="gone@x.com", is_deleted=True, **names)
    make_record(erp, customer=bob, email="b@x.com", **names)

    card = source_scorecard(source=crm)
    assert card.active == 4
    assert (card.linked, card.linked_share) == (3, 0.75)
    assert (card.duplicated, card.duplicate_rate) == (2, 0.5)  # r1 and r2 share Ann
    scores = {s.attribute: s for s in card.attributes}
    assert list(scores) == [  # canonical order, every mapped attribute
        "given_name",
        "family_name",
        "email",
        "phone",
        "date_of_birth",
        "street",
        "city",
        "postcode",
        "state",
        "country",
        "company",
    ]
    assert scores["email"].column == "Email"
    assert (scores["email"].filled, scores["email"].completeness) == (2, 0.5)
    assert (scores["email"].valid, scores["email"].invalid) == (2, 1)
    assert scores["email"].validity == pytest.approx(2 / 3)
    assert (scores["phone"].completeness, scores["phone"].validity) == (0.5, pytest.approx(2 / 3))
    assert (scores["date_of_birth"].completeness, scores["date_of_birth"].validity) == (0.25, 1.0)
    assert (scores["given_name"].completeness, scores["given_name"].validity) == (1.0, None)  # not validated
    assert scores["company"].completeness == 0.0
    assert source_scorecard(source=erp).duplicate_rate == 0.0


@pytest.mark.django_db
def test_an_empty_source_measures_nothing(sources):
    card = source_scorecard(source=sources["erp"])
    assert card.active == 0
    assert card.linked_share is None
    assert card.duplicate_rate is None
    assert all(s.completeness is None for s in card.attributes)
    assert {s.attribute: s.validity for s in card.attributes}["email"] is None
