"""POST /api/v1/match/: "find similar before create" scores like resolution and creates nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from access.services import api_token_issue
from connectors.models import ImportBatch, SourceRecord
from profiles.choices import RunMode, RunStatus
from profiles.models import Customer, CustomerChange, CustomerEvent, MatchPair
from profiles.services.resolution import resolve_now

URL = "/api/v1/match/"


def client_with(scope: str | None) -> APIClient:
    client = APIClient()
    if scope:
        _, plain = api_token_issue(name=f"{scope}-token", scope=scope, actor="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    return client


@pytest.fixture
def golden(imported):
    run = resolve_now(mode=RunMode.INCREMENTAL, actor="test")
    assert run.status == RunStatus.SUCCEEDED, run.error
    return imported


def counts() -> dict[str, int]:
    models = (SourceRecord, Customer, MatchPair, CustomerChange, CustomerEvent, ImportBatch)
    return {model.__name__: model.objects.count() for model in models}


def test_a_known_customer_is_the_best_candidate_and_nothing_is_created(golden):
    known = SourceRecord.objects.filter(source__code="crm").exclude(email="").exclude(given_name="").first()
    before = counts()
    response = client_with("read").post(
        URL,
        {"given_name": known.given_name, "family_name": known.family_name, "email": known.email.upper()},
        format="json",
    )
    assert response.status_code == 200, response.content
    candidates = response.json()["candidates"]
    best = candidates[0]
    assert best["customer_id"] == known.customer_id
    assert best["score"] > 0.9 and best["decision"] == "link"
    assert best["explanation"]["email"] > 0
    assert best["matched_record"]["source"] and best["matched_record"]["source_id"]
    assert best["attributes"]["email"]
    assert "national_id" not in best["attributes"]
    assert [c["score"] for c in candidates] == sorted((c["score"] for c in candidates), reverse=True)
    assert len({c["customer_id"] for c in candidates}) == len(candidates)
    assert counts() == before


def test_limit_and_a_stranger(golden):
    client = client_with("write")  # write implies read
    known = SourceRecord.objects.exclude(family_name="").first()
    response = client.post(f"{URL}?limit=1", {"family_name": known.family_name, "given_name": "X"}, format="json")
    assert response.status_code == 200 and len(response.json()["candidates"]) <= 1
    nobody = client.post(URL, {"email": "zebediah.quixote@nowhere.example"}, format="json")
    assert nobody.status_code == 200 and nobody.json()["candidates"] == []


def test_without_a_model_there_are_no_candidates(db):
    response = client_with("read").post(URL, {"email": "a@example.com"}, format="json")
    assert response.status_code == 200 and response.json() == {"candidates": []}


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        ({"email": "not-an-email"}, "email", "email"),
        ({"date_of_birth": "31/31/1990", "family_name": "Smith"}, "date_of_birth", ""),
        ({}, "detail", "at least one attribute"),
        ({"email": ""}, "detail", "at least one attribute"),
        ({"city": "Sydney"}, "detail", "Not enough to search by"),
        ({"email": ["a@b.c"]}, "email", ""),
        ({"email": "a@example.com", "company": 0}, "company", ""),
        ({"email": None}, "email", ""),
        ({"email": "a@example.com", "default_country": "Atlantis"}, "default_country", "Atlantis"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(db, body, field, needle):
    response = client_with("read").post(URL, body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert field in data
    assert needle in str(data[field])


def test_bad_limit_and_bodies(db):
    client = client_with("read")
    response = client.post(f"{URL}?limit=0", {"email": "a@example.com"}, format="json")
    assert response.status_code == 400 and "limit" in response.json()
    assert client.post(URL, [1, 2], format="json").status_code == 400
    assert client.post(URL, "{oops", content_type="application/json").status_code == 400


def test_auth(db):
    assert client_with(None).post(URL, {"email": "a@example.com"}, format="json").status_code == 401
