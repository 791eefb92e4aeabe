"""Webhook subscriptions through the API (`steward` scope) and the pages (viewers read,
stewards manage): create with the secret shown once, validation, changes, the delivery log with
its status filter, and redelivery of failed or dead deliveries."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from access.services import api_token_issue
from connectors.choices import WebhookDeliveryStatus
from connectors.models import SourceSystem, WebhookDelivery, WebhookSubscription
from connectors.services import webhooks

URL = "/api/v1/webhooks/"


def client_with(scope: str | None) -> APIClient:
    client = APIClient()
    if scope:
        _, plain = api_token_issue(name=f"{scope}-token", scope=scope, actor="test")
        client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    return client


@pytest.fixture
def steward_api(db) -> APIClient:
    return client_with("steward")


def a_subscription(**kwargs) -> WebhookSubscription:
    return webhooks.webhook_subscription_create(
        name=kwargs.pop("name", "crm sync"), url=kwargs.pop("url", "https://crm.example.com/hooks"), actor="t", **kwargs
    )


def deliveries(subscription, *states: str) -> list[WebhookDelivery]:
    now = timezone.now()
    return [
        WebhookDelivery.objects.create(
            subscription=subscription,
            sequence=i,
            event_type="updated",
            payload={"sequence": i, "type": "updated", "customer_id": 7, "attributes": {"email": "a@x.example"}},
            status=state,
            attempts=0 if state == "pending" else 3,
            next_attempt_at=now if state in ("pending", "failed") else None,
        )
        for i, state in enumerate(states, start=1)
    ]


# API ------------------------------------------------------------------------------------------


def test_create_answers_the_secret_once_and_reading_never_does(steward_api):
    SourceSystem.objects.create(code="crm", name="CRM", id_field="id")
    response = steward_api.post(
        URL,
        {
            "name": "Salesforce",
            "url": "https://crm.example.com/hooks",
            "event_types": ["merged", "created"],
            "source": "crm",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["event_types"] == ["created", "merged"] and body["source"] == "crm"
    assert body["active"] is True and body["max_attempts"] == 8 and body["created_by"] == "token:steward-token"
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert subscription.secret == body["secret"]
    detail = steward_api.get(f"{URL}{body['id']}/").json()
    assert "secret" not in detail and detail["deliveries_url"] == f"/api/v1/webhooks/{body['id']}/deliveries/"
    listed = steward_api.get(URL).json()
    assert [s["name"] for s in listed["results"]] == ["Salesforce"]
    assert "secret" not in listed["results"][0]


def test_a_given_secret_is_kept(steward_api):
    response = steward_api.post(
        URL, {"name": "x", "url": "http://127.0.0.1:9/hook", "secret": "my-own-long-secret-123"}, format="json"
    )
    assert response.status_code == 201 and response.json()["secret"] == "my-own-long-secret-123"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "ftp://crm.example.com/hooks"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "crm.example.com/hooks"}, "url"),
        ({"event_types": ["created", "exploded"]}, "event_types"),
        ({"event_types": "created"}, "event_types"),
        ({"source": "nope"}, "source"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 51}, "max_attempts"),
        ({"secret": "short"}, "secret"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(steward_api, data, field):
    response = steward_api.post(URL, {"name": "x", "url": "https://ok.example.com/h", **data}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not WebhookSubscription.objects.exists()


def test_patch_changes_fields_and_keeps_the_secret(steward_api):
    subscription = a_subscription()
    secret = subscription.secret
    response = steward_api.patch(
        f"{URL}{subscription.pk}/", {"active": False, "event_types": ["deleted"], "max_attempts": 3}, format="json"
    )
    assert response.status_code == 200, response.json()
    subscription.refresh_from_db()
    assert (subscription.active, subscription.event_types, subscription.max_attempts) == (False, ["deleted"], 3)
    assert subscription.secret == secret
    assert steward_api.patch(f"{URL}{subscription.pk}/", {"url": "gopher://x"}, format="json").status_code == 400
    assert steward_api.put(f"{URL}{subscription.pk}/", {"name": "x"}, format="json").status_code == 405
    assert steward_api.patch(f"{URL}999999/", {"active": True}, format="json").status_code == 404


def test_delete_removes_the_subscription_and_its_log(steward_api):
    subscription = a_subscription()
    deliveries(subscription, "delivered")
    assert steward_api.delete(f"{URL}{subscription.pk}/").status_code == 204
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()


def test_the_delivery_log_newest_first_with_a_status_filter(steward_api):
    subscription = a_subscription()
    deliveries(subscription, "delivered", "dead", "failed", "pending")
    response = steward_api.get(f"{URL}{subscription.pk}/deliveries/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["sequence"], r["status"]) for r in rows] == [
        (4, "pending"),
        (3, "failed"),
        (2, "dead"),
        (1, "delivered"),
    ]
    assert rows[0]["payload"]["customer_id"] == 7
    dead = steward_api.get(f"{URL}{subscription.pk}/deliveries/", {"status": "dead"}).json()["results"]
    assert [r["sequence"] for r in dead] == [2]
    bad = steward_api.get(f"{URL}{subscription.pk}/deliveries/", {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()
    assert steward_api.get(f"{URL}999999/deliveries/").status_code == 404
    page = steward_api.get(f"{URL}{subscription.pk}/deliveries/", {"limit": 2}).json()
    assert [r["sequence"] for r in page["results"]] == [4, 3] and page["next"]


def test_redeliver_a_dead_delivery_and_refuse_a_delivered_one(steward_api):
    subscription = a_subscription()
    delivered, dead = deliveries(subscription, "delivered", "dead")
    url = f"{URL}{subscription.pk}/deliveries/{dead.pk}/redeliver/"
    response = steward_api.post(url)
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "pending" and response.json()["attempts"] == 0
    dead.refresh_from_db()
    assert dead.status == WebhookDeliveryStatus.PENDING
    refused = steward_api.post(f"{URL}{subscription.pk}/deliveries/{delivered.pk}/redeliver/")
    assert refused.status_code == 409 and "only failed or dead" in refused.json()["detail"]
    other = a_subscription(name="other")
    assert steward_api.post(f"{URL}{other.pk}/deliveries/{dead.pk}/redeliver/").status_code == 404


@pytest.mark.parametrize("scope", ["read", "write"])
def test_weaker_scopes_are_403_and_no_token_401(db, scope):
    subscription = a_subscription()
    assert APIClient().get(URL).status_code == 401
    weak = client_with(scope)
    assert weak.get(URL).status_code == 403
    assert weak.post(URL, {"name": "x", "url": "https://x.example.com"}, format="json").status_code == 403
    assert weak.get(f"{URL}{subscription.pk}/deliveries/").status_code == 403
    assert WebhookSubscription.objects.count() == 1


def test_the_schema_documents_the_webhook_endpoints(db):
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"/api/v1/webhooks/", "/api/v1/webhooks/{id}/", "/api/v1/webhooks/{id}/deliveries/"} <= set(paths)
    assert "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/" in paths
    created = paths["/api/v1/webhooks/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("WebhookSubscriptionCreated")


# Pages ----------------------------------------------------------------------------------------


def test_a_viewer_reads_but_cannot_manage(client, make_user):
    subscription = a_subscription()
    (delivery,) = deliveries(subscription, "dead")
    client.force_login(make_user("vic", role="viewer"))
    page = client.get("/webhooks/")
    assert page.status_code == 200 and b"crm sync" in page.content and b"New subscription" not in page.content
    detail = client.get(f"/webhooks/{subscription.pk}/")
    assert detail.status_code == 200 and b"Redeliver" not in detail.content
    assert subscription.secret.encode() not in detail.content and b"a@x.example" not in detail.content
    assert client.get("/webhooks/new/").status_code == 403
    assert (
        client.post("/webhooks/new/", {"name": "x", "url": "https://x.example.com", "max_attempts": 3}).status_code
        == 403
    )
    assert client.post(f"/webhooks/{subscription.pk}/active/", {"active": "0"}).status_code == 403
    assert client.post(f"/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 403
    assert WebhookSubscription.objects.get().active and WebhookDelivery.objects.get().status == "dead"


def test_a_steward_creates_sees_the_secret_once_edits_and_deactivates(steward_client):
    SourceSystem.objects.create(code="crm", name="CRM", id_field="id")
    crm = SourceSystem.objects.get(code="crm")
    form = steward_client.get("/webhooks/new/")
    assert form.status_code == 200 and b"csrfmiddlewaretoken" in form.content
    response = steward_client.post(
        "/webhooks/new/",
        {
            "name": "Marketing",
            "url": "https://mkt.example.com/in",
            "event_types": ["created", "merged"],
            "source": crm.pk,
            "active": "on",
            "max_attempts": 5,
        },
    )
    subscription = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{subscription.pk}/"
    assert (subscription.event_types, subscription.source, subscription.max_attempts) == (["created", "merged"], crm, 5)
    first = steward_client.get(response["Location"])
    assert subscription.secret.encode() in first.content
    again = steward_client.get(response["Location"])
    assert subscription.secret.encode() not in again.content  # shown once to a steward

    edit = steward_client.post(
        f"/webhooks/{subscription.pk}/edit/",
        {"name": "Marketing EU", "url": "https://mkt.example.com/eu", "max_attempts": 5, "active": "on"},
    )
    assert edit.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.event_types, subscription.source) == ("Marketing EU", [], None)
    steward_client.post(f"/webhooks/{subscription.pk}/active/", {"active": "0"})
    subscription.refresh_from_db()
    assert subscription.active is False
    listing = steward_client.get("/webhooks/")
    assert b"Marketing EU" in listing.content and b"inactive" in listing.content


def test_the_form_refuses_a_non_http_url(steward_client):
    response = steward_client.post("/webhooks/new/", {"name": "x", "url": "ftp://x.example.com/", "max_attempts": 3})
    assert response.status_code == 200 and b"http" in response.content
    assert not WebhookSubscription.objects.exists()


def test_the_delivery_log_page_filters_and_redelivers(steward_client):
    subscription = a_subscription()
    delivered, dead, failed = deliveries(subscription, "delivered", "dead", "failed")
    page = steward_client.get(f"/webhooks/{subscription.pk}/")
    assert page.status_code == 200 and page.content.count(b">Redeliver<") == 2
    only_dead = steward_client.get(f"/webhooks/{subscription.pk}/", {"status": "dead"})
    assert f'id="delivery-{dead.pk}"'.encode() in only_dead.content
    assert f'id="delivery-{delivered.pk}"'.encode() not in only_dead.content
    response = steward_client.post(f"/webhooks/{subscription.pk}/deliveries/{dead.pk}/redeliver/", follow=True)
    assert response.status_code == 200 and b"queued for redelivery" in response.content
    dead.refresh_from_db()
    assert dead.status == "pending"
    refused = steward_client.post(f"/webhooks/{subscription.pk}/deliveries/{delivered.pk}/redeliver/", follow=True)
    assert b"only failed or dead" in refused.content
    assert steward_client.get(f"/webhooks/{subscription.pk}/", {"status": "bogus"}).status_code == 200
    assert steward_client.get("/webhooks/999999/").status_code == 404


def test_admins_can_see_the_secret_later(client, make_user):
    subscription = a_subscription()
    client.force_login(make_user("ada", role="admin"))
    assert subscription.secret.encode() in client.get(f"/webhooks/{subscription.pk}/").content


def test_the_list_page_stays_within_a_query_budget(steward_client, django_assert_max_num_queries):
    for i in range(5):
        deliveries(a_subscription(name=f"s{i}"), "delivered", "dead")
    with django_assert_max_num_queries(8):
        assert steward_client.get("/webhooks/").status_code == 200


def test_odd_input_is_a_4xx_never_a_500(steward_api):
    subscription = a_subscription()
    huge = "9" * 25
    assert steward_api.get(f"{URL}{huge}/").status_code == 404
    assert steward_api.get(f"{URL}{huge}/deliveries/").status_code == 404
    assert steward_api.post(f"{URL}{subscription.pk}/deliveries/{huge}/redeliver/").status_code == 404
    assert steward_api.post(URL, {"name": "a\x00b", "url": "https://x.example.com"}, format="json").status_code == 400
    assert steward_api.post(URL, "[1, 2]", content_type="application/json").status_code == 400
    assert steward_api.post(URL, "{not json", content_type="application/json").status_code == 400
    assert steward_api.patch(f"{URL}{subscription.pk}/", "[1]", content_type="application/json").status_code == 400
    assert steward_api.get(f"{URL}{subscription.pk}/deliveries/", {"cursor": "garbage"}).status_code == 400
