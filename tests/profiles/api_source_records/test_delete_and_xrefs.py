"""DELETE /api/v1/sources/{source}/records/{source_id}/ and GET /api/v1/xrefs/{source}/{source_id}/."""

from __future__ import annotations

import json

from connectors.models import SourceRecord
from profiles.choices import CustomerStatus
from profiles.models import Customer, CustomerChange

RECORD = {"Id": "D-1", "FirstName": "Dora", "LastName": "Delete", "Email": "dora.delete@example.com"}


def upsert(api, body, source="crm"):
    response = api.post(f"/api/v1/sources/{source}/records/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["records"]


class TestDelete:
    def test_delete_recomputes_and_repeat_is_harmless(self, api, crm, match_model):
        api.token("write")
        (item,) = upsert(api, RECORD)
        customer_id = item["customer_id"]
        response = api.delete("/api/v1/sources/crm/records/D-1/")
        assert response.status_code == 200
        assert response.json() == {
            "source": "crm",
            "source_id": "D-1",
            "deleted": True,
            "already_deleted": False,
            "customer_id": customer_id,
            "customer_status": CustomerStatus.DELETED,
        }
        assert SourceRecord.objects.get(external_id="D-1").is_deleted
        assert Customer.objects.get(pk=customer_id).status == CustomerStatus.DELETED
        change = CustomerChange.objects.order_by("-sequence").first()
        assert change.kind == "deleted" and change.origin_source == "crm"
        again = api.delete("/api/v1/sources/crm/records/D-1/")
        assert again.status_code == 200 and again.json()["already_deleted"] is True
        # Sending the record again revives it.
        assert upsert(api, RECORD)[0]["outcome"] == "updated"
        assert not SourceRecord.objects.get(external_id="D-1").is_deleted

    def test_unknown_record_or_source_is_404(self, api, crm):
        api.token("write")
        response = api.delete("/api/v1/sources/crm/records/nope/")
        assert response.status_code == 404 and "'nope'" in response.json()["detail"]
        assert api.delete("/api/v1/sources/nowhere/records/x/").status_code == 404

    def test_auth(self, api, sources, match_model):
        api.token("write")
        upsert(api, RECORD)
        api.credentials()
        assert api.delete("/api/v1/sources/crm/records/D-1/").status_code == 401
        api.token("read")
        assert api.delete("/api/v1/sources/crm/records/D-1/").status_code == 403
        api.token("write", source=sources["erp"])
        response = api.delete("/api/v1/sources/crm/records/D-1/")
        assert response.status_code == 403 and "'erp'" in response.json()["detail"]
        assert not SourceRecord.objects.get(external_id="D-1").is_deleted


class TestXrefs:
    def test_linked_record_answers_its_golden_record(self, api, crm, match_model):
        api.token("write")
        (item,) = upsert(api, {**RECORD, "Id": "X/1"})
        api.token("read")
        response = api.get("/api/v1/xrefs/crm/X/1/")
        assert response.status_code == 200
        data = response.json()
        assert data["resolution"] == "linked" and data["pending_resolution"] is False
        assert data["customer"]["id"] == item["customer_id"]
        assert data["customer"]["status"] == "active"
        assert data["customer"]["attributes"]["email"] == "dora.delete@example.com"

    def test_pending_record_says_so(self, api, crm):
        api.token("write")
        upsert(api, RECORD)  # no matching model yet: not resolved
        api.token("read")
        data = api.get("/api/v1/xrefs/crm/D-1/").json()
        assert data["resolution"] == "pending" and data["customer"] is None

    def test_merged_away_golden_record_answers_the_survivor(self, api, crm, match_model):
        api.token("write")
        (item,) = upsert(api, RECORD)
        survivor = Customer.objects.create()
        Customer.objects.filter(pk=item["customer_id"]).update(status=CustomerStatus.RETIRED, merged_into=survivor)
        api.token("read")
        assert api.get("/api/v1/xrefs/crm/D-1/").json()["customer"]["id"] == survivor.pk

    def test_unknown_deleted_and_auth(self, api, crm, match_model):
        assert api.get("/api/v1/xrefs/crm/D-1/").status_code == 401
        api.token("write")
        upsert(api, RECORD)
        api.delete("/api/v1/sources/crm/records/D-1/")
        api.token("read")
        deleted = api.get("/api/v1/xrefs/crm/D-1/")
        assert deleted.status_code == 404 and "deleted" in deleted.json()["detail"]
        assert api.get("/api/v1/xrefs/crm/none/").status_code == 404
        assert api.get("/api/v1/xrefs/nowhere/D-1/").status_code == 404
