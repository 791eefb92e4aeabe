"""GET /customers/, /customers/{id}/ and /customers/{id}/timeline/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from connectors.models import Activity
from profiles.choices import CustomerStatus
from profiles.models import Customer
from profiles.services.stewardship import customer_merge


@pytest.fixture
def people(build):
    crm = build.source("crm", 0.9)
    erp = build.source("erp", 0.5)
    ann = build.customer(
        build.record(crm, external_id="C1", given_name="Ann", family_name="Lee", email="ann@x.example"),
        build.record(erp, external_id="E1", given_name="Anne", family_name="Lee", phone="+61291234567"),
    )
    bob = build.customer(
        build.record(crm, external_id="C2", given_name="Bob", family_name="Ray", email="bob@y.example")
    )
    cat = build.customer(build.record(erp, external_id="E2", given_name="Cat", family_name="Orr"))
    return {"ann": ann, "bob": bob, "cat": cat, "crm": crm, "erp": erp}


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_list_shows_active_golden_records(reader, people):
    Customer.objects.filter(pk=people["cat"].pk).update(status=CustomerStatus.DELETED)
    response = reader.get("/api/v1/customers/")
    assert _ids(response) == [people["ann"].pk, people["bob"].pk]
    first = response.json()["results"][0]
    assert first["full_name"] == "Ann Lee" and first["email"] == "ann@x.example"
    assert first["record_count"] == 2
    assert first["url"].endswith(f"/api/v1/customers/{people['ann'].pk}/")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "ann"}, ["ann"]),
        ({"q": "bob@y"}, ["bob"]),
        ({"email": "BOB@y.example"}, ["bob"]),
        ({"phone": "+61 2 9123 4567"}, ["ann"]),
        ({"source": "erp"}, ["ann", "cat"]),
        ({"source": "crm", "q": "bob"}, ["bob"]),
    ],
)
def test_list_filters(reader, people, params, expected):
    assert _ids(reader.get("/api/v1/customers/", params)) == [people[name].pk for name in expected]


def test_updated_after(reader, people):
    later = timezone.now() + timedelta(hours=1)
    Customer.objects.filter(pk=people["bob"].pk).update(updated_at=later + timedelta(minutes=1))
    assert _ids(reader.get("/api/v1/customers/", {"updated_after": later.isoformat()})) == [people["bob"].pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"updated_after": "yesterday"}, "updated_after"), ({"source": "nope"}, "source"), ({"cursor": "zzz"}, "cursor")],
)
def test_bad_filters_are_400_naming_the_field(reader, people, params, field):
    response = reader.get("/api/v1/customers/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_cursor_pagination_walks_every_record_once(reader, build):
    crm = build.source("crm")
    expected = [build.customer(build.record(crm, given_name=f"P{i}")).pk for i in range(7)]
    seen, url = [], "/api/v1/customers/?limit=3"
    while url:
        body = reader.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == expected


def test_list_query_budget(reader, build, django_assert_max_num_queries):
    crm = build.source("crm")
    for i in range(30):
        build.customer(build.record(crm, given_name=f"P{i}", email=f"p{i}@x.example"))
    reader.get("/api/v1/customers/")  # token's last-used time written once
    with django_assert_max_num_queries(3):
        assert len(reader.get("/api/v1/customers/?limit=30").json()["results"]) == 30
    with django_assert_max_num_queries(5):
        assert reader.get("/api/v1/customers/", {"q": "p1", "source": "crm"}).status_code == 200


def test_detail_has_provenance_and_xrefs(reader, people, django_assert_max_num_queries):
    ann = people["ann"]
    reader.get("/api/v1/customers/")
    with django_assert_max_num_queries(4):  # token, golden record, attributes, xrefs
        response = reader.get(f"/api/v1/customers/{ann.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == ann.pk and body["status"] == "active"
    assert body["attributes"]["email"]["value"] == "ann@x.example"
    assert body["attributes"]["email"]["source"] == "crm"
    assert body["attributes"]["email"]["source_id"] == "C1"
    assert body["attributes"]["email"]["rule"]
    assert body["attributes"]["phone"]["source_id"] == "E1"
    assert body["attributes"]["full_name"]["value"]
    assert body["xrefs"] == [{"source": "crm", "source_id": "C1"}, {"source": "erp", "source_id": "E1"}]


def test_merged_away_id_redirects_to_the_survivor(reader, people):
    ann, bob = people["ann"], people["bob"]
    customer_merge(survivor=ann, others=[bob], actor="stew")
    response = reader.get(f"/api/v1/customers/{bob.pk}/")
    assert response.status_code == 301
    assert response["Location"].endswith(f"/api/v1/customers/{ann.pk}/")
    followed = reader.get(f"/api/v1/customers/{bob.pk}/", follow=True)
    assert followed.json()["id"] == ann.pk
    timeline = reader.get(f"/api/v1/customers/{bob.pk}/timeline/?limit=5")
    assert timeline.status_code == 301
    assert timeline["Location"].endswith(f"/api/v1/customers/{ann.pk}/timeline/?limit=5")


def test_redirect_chains_end_at_the_live_record(reader, people):
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    Customer.objects.filter(pk=cat.pk).update(status=CustomerStatus.RETIRED, merged_into=bob)
    Customer.objects.filter(pk=bob.pk).update(status=CustomerStatus.RETIRED, merged_into=ann)
    response = reader.get(f"/api/v1/customers/{cat.pk}/")
    assert response.status_code == 301 and response["Location"].endswith(f"/customers/{ann.pk}/")


def test_deleted_is_410_and_unknown_is_404(reader, people):
    Customer.objects.filter(pk=people["cat"].pk).update(status=CustomerStatus.DELETED)
    gone = reader.get(f"/api/v1/customers/{people['cat'].pk}/")
    assert gone.status_code == 410 and "deleted" in gone.json()["detail"]
    missing = reader.get("/api/v1/customers/999999/")
    assert missing.status_code == 404 and missing.json() == {"detail": "No golden record 999999."}


def test_timeline_newest_first_across_sources(reader, people):
    ann = people["ann"]
    records = {r.external_id: r for r in ann.source_records.all()}
    base = datetime(2026, 3, 1, tzinfo=UTC)
    for i, (record, kind, amount) in enumerate(
        [("C1", "order", "10.50"), ("E1", "invoice", "99.00"), ("C1", "ticket", None), ("E1", "payment", "5")]
    ):
        Activity.objects.create(
            source_record=records[record],
            kind=kind,
            occurred_at=base + timedelta(days=i),
            amount=Decimal(amount) if amount else None,
            summary=f"{kind} {i}",
            fingerprint=f"f{i}",
        )
    body = reader.get(f"/api/v1/customers/{ann.pk}/timeline/?limit=3").json()
    assert [(a["kind"], a["source"], a["source_id"]) for a in body["results"]] == [
        ("payment", "erp", "E1"),
        ("ticket", "crm", "C1"),
        ("invoice", "erp", "E1"),
    ]
    assert body["results"][0]["amount"] == "5.00" and body["results"][1]["amount"] is None
    assert body["results"][0]["occurred_at"].startswith("2026-03-04")
    rest = reader.get(body["next"]).json()
    assert [a["summary"] for a in rest["results"]] == ["order 0"] and rest["next"] is None
    assert reader.get("/api/v1/customers/999999/timeline/").status_code == 404


def test_viewer_sessions_see_personal_data_masked(client, make_user, people):
    client.force_login(make_user(username="v", role="viewer"))
    listed = client.get("/api/v1/customers/", {"q": "ann"}).json()["results"][0]
    assert listed["email"].startswith("a•") and listed["email"].endswith("@x.example")
    detail = client.get(f"/api/v1/customers/{people['ann'].pk}/").json()
    assert detail["attributes"]["email"]["value"] != "ann@x.example"
    assert detail["attributes"]["given_name"]["value"] == "Ann"
