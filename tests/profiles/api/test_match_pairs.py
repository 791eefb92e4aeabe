"""GET /match-pairs/ (the review queue) and POST /match-pairs/{id}/decision/."""

from __future__ import annotations

import pytest

from profiles.choices import ConstraintKind, Decision, PairStatus
from profiles.models import LinkConstraint, MatchPair, ResolutionSettings


@pytest.fixture
def pairs(build):
    crm = build.source("crm", 0.9)
    erp = build.source("erp", 0.5)
    made = {}
    for name, probability, status in [
        ("far", 0.45, PairStatus.REVIEW),
        ("close", 0.78, PairStatus.REVIEW),
        ("middle", 0.6, PairStatus.REVIEW),
        ("linked", 0.99, PairStatus.LINKED),
    ]:
        a = build.record(crm, external_id=f"A-{name}", given_name="Ann", family_name=name, email=f"{name}@x.example")
        b = build.record(erp, external_id=f"B-{name}", given_name="Anne", family_name=name)
        build.customer(a)
        build.customer(b)
        made[name] = MatchPair.objects.create(
            record_a=a,
            record_b=b,
            probability=probability,
            match_weight=3.5,
            weights={"email": 4.0, "given_name": -0.5},
            status=status,
        )
    return made


def test_queue_waits_for_review_closest_to_the_threshold_first(reader, pairs):
    ResolutionSettings.current()
    body = reader.get("/api/v1/match-pairs/").json()
    assert [p["id"] for p in body["results"]] == [pairs["close"].pk, pairs["middle"].pk, pairs["far"].pk]
    first = body["results"][0]
    assert first["probability"] == 0.78 and first["match_weight"] == 3.5
    assert first["weights"] == {"email": 4.0, "given_name": -0.5}
    assert first["record_a"]["source"] == "crm" and first["record_a"]["source_id"] == "A-close"
    assert first["record_a"]["attributes"]["email"] == "close@x.example"
    assert first["record_b"]["attributes"]["given_name"] == "Anne"
    pairs["close"].record_a.refresh_from_db()
    assert first["record_a"]["customer_id"] == pairs["close"].record_a.customer_id is not None
    by_probability = reader.get("/api/v1/match-pairs/", {"ordering": "probability"}).json()["results"]
    assert [p["id"] for p in by_probability] == [pairs["close"].pk, pairs["middle"].pk, pairs["far"].pk]
    linked = reader.get("/api/v1/match-pairs/", {"status": "linked"}).json()["results"]
    assert [p["id"] for p in linked] == [pairs["linked"].pk]


def test_queue_pages_with_a_cursor(reader, pairs):
    page = reader.get("/api/v1/match-pairs/", {"limit": 2}).json()
    rest = reader.get(page["next"]).json()
    assert [p["id"] for p in page["results"] + rest["results"]] == [
        pairs["close"].pk,
        pairs["middle"].pk,
        pairs["far"].pk,
    ]


@pytest.mark.parametrize(("params", "field"), [({"status": "pending"}, "status"), ({"ordering": "x"}, "ordering")])
def test_bad_queue_parameters_are_400(reader, pairs, params, field):
    response = reader.get("/api/v1/match-pairs/", params)
    assert response.status_code == 400 and field in response.json()


def test_steward_decides_a_pair_once(steward, pairs):
    pair = pairs["close"]
    url = f"/api/v1/match-pairs/{pair.pk}/decision/"
    response = steward.post(url, {"decision": "match", "comment": "same person"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "decided" and response.json()["decision"] == "match"
    pair.refresh_from_db()
    assert (pair.decision, pair.decided_by) == (Decision.MATCH, "api:test-steward")
    constraint = LinkConstraint.objects.get()
    assert constraint.kind == ConstraintKind.MUST_LINK
    again = steward.post(url, {"decision": "no-match"}, format="json")
    assert again.status_code == 409
    assert again.json() == {"detail": f"Match pair {pair.pk} was already decided (match by api:test-steward)."}
    linked = steward.post(f"/api/v1/match-pairs/{pairs['linked'].pk}/decision/", {"decision": "match"})
    assert linked.status_code == 409 and "not waiting for review" in linked.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"decision": "maybe"}, "decision"), ({}, "decision"), ({"decision": "match", "comment": "x" * 3000}, "comment")],
)
def test_bad_decisions_are_400(steward, pairs, body, field):
    response = steward.post(f"/api/v1/match-pairs/{pairs['far'].pk}/decision/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert MatchPair.objects.get(pk=pairs["far"].pk).status == PairStatus.REVIEW


def test_deciding_needs_the_steward_scope(token_client, pairs):
    url = f"/api/v1/match-pairs/{pairs['far'].pk}/decision/"
    for scope in ("read", "write"):
        response = token_client(scope).post(url, {"decision": "match"}, format="json")
        assert response.status_code == 403
        assert response.json() == {"detail": "This request needs the 'steward' scope."}
    assert (
        token_client("steward").post("/api/v1/match-pairs/999999/decision/", {"decision": "match"}).status_code == 404
    )


def test_not_json_is_415(steward, pairs):
    response = steward.post(
        f"/api/v1/match-pairs/{pairs['far'].pk}/decision/",
        "decision=match",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415 and "detail" in response.json()
