"""POST /api/v1/sources/{source}/records/: auth, per-record outcomes, quarantine, limits, idempotency,
real-time resolution, all-or-nothing writes."""

from __future__ import annotations

import json

import pytest

from connectors.choices import BatchStatus
from connectors.models import ImportBatch, QuarantinedRow, SourceRecord
from governance.models import Integration
from profiles.models import Customer, CustomerChange

URL = "/api/v1/sources/{}/records/"


def ada(**overrides) -> dict:
    record = {
        "Id": "A-1",
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "ada.lovelace@example.com",
        "Phone": "0412 345 678",
        "Birthdate": "12/10/1985",
        "LastModified": "2026-01-02T10:00:00Z",
    }
    record.update(overrides)
    return record


def post(api, body, source: str = "crm", **extra):
    return api.post(URL.format(source), data=json.dumps(body), content_type="application/json", **extra)


class TestAuth:
    def test_no_token_is_401(self, api, crm):
        response = post(api, ada())
        assert response.status_code == 401
        assert "detail" in response.json()

    def test_read_token_is_403(self, api, crm):
        api.token("read")
        response = post(api, ada())
        assert response.status_code == 403
        assert "write" in response.json()["detail"]
        assert not SourceRecord.objects.exists()

    def test_token_bound_to_another_source_is_403(self, api, sources):
        api.token("write", source=sources["erp"])
        response = post(api, ada())
        assert response.status_code == 403
        assert "'erp'" in response.json()["detail"]
        assert not SourceRecord.objects.exists()

    def test_token_bound_to_this_source_writes(self, api, crm, match_model):
        api.token("write", source=crm)
        assert post(api, ada()).status_code == 200

    def test_unknown_source_is_a_json_404(self, api, crm):
        api.token("write")
        response = post(api, ada(), source="nowhere")
        assert response.status_code == 404
        assert "nowhere" in response.json()["detail"]

    def test_deprecated_source_is_refused_with_the_reason(self, api, crm):
        Integration.objects.filter(source=crm).update(lifecycle="deprecated")
        api.token("write")
        response = post(api, ada())
        assert response.status_code == 409
        assert "deprecated" in response.json()["detail"]
        assert not SourceRecord.objects.exists()
        assert ImportBatch.objects.get().status == BatchStatus.FAILED


def test_before_any_model_records_wait_for_resolution(api, crm):
    api.token("write")
    data = post(api, ada()).json()
    assert data["resolved"] is False
    assert data["records"][0]["outcome"] == "created" and data["records"][0]["customer_id"] is None
    assert SourceRecord.objects.get().pending_resolution


class TestOutcomes:
    def test_created_unchanged_updated_stale(self, api, crm, match_model):
        api.token("write")
        first = post(api, ada())
        assert first.status_code == 200, first.content
        body = first.json()
        assert body["counts"]["created"] == 1
        (item,) = body["records"]
        assert item["outcome"] == "created" and item["source_id"] == "A-1" and item["index"] == 0
        assert item["customer_id"] is not None
        record = SourceRecord.objects.get(external_id="A-1")
        assert record.customer_id == item["customer_id"]
        assert record.email == "ada.lovelace@example.com" and not record.pending_resolution
        # A replay of the same payload writes nothing.
        again = post(api, ada()).json()["records"][0]
        assert again["outcome"] == "unchanged" and again["customer_id"] == item["customer_id"]
        changed = post(api, ada(City="Sydney", LastModified="2026-02-01T00:00:00Z")).json()["records"][0]
        assert changed["outcome"] == "updated"
        older = post(api, ada(Phone="0499 999 999", LastModified="2025-01-01T00:00:00Z")).json()["records"][0]
        assert older["outcome"] == "stale"
        assert SourceRecord.objects.get(external_id="A-1").phone == "+61412345678"

    def test_a_list_with_bad_records_keeps_the_good_ones_and_quarantines_the_bad(self, api, crm):
        api.token("write")
        body = [
            ada(),
            {"FirstName": "No", "LastName": "Id"},
            "not an object",
            ada(Id=True),
            ada(Id="A-2", Email="not-an-email", FirstName="Bea"),
        ]
        response = post(api, body)
        assert response.status_code == 200
        data = response.json()
        outcomes = [r["outcome"] for r in data["records"]]
        assert outcomes == ["created", "rejected", "rejected", "rejected", "created"]
        assert "no id field 'Id'" in data["records"][1]["errors"][0]
        assert "not a JSON object" in data["records"][2]["errors"][0]
        assert "must be text or an integer" in data["records"][3]["errors"][0]
        assert data["records"][4]["issues"]["email"]
        assert data["counts"] | {"rows": 5} == {
            "rows": 5,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "stale": 0,
            "rejected": 3,
            "duplicates": 0,
            "with_issues": 1,
        }
        batch = ImportBatch.objects.get(pk=data["batch"])
        assert batch.status == BatchStatus.SUCCEEDED and batch.rejected == 3 and batch.source == crm
        quarantined = list(QuarantinedRow.objects.filter(batch=batch).order_by("line_number"))
        assert [q.line_number for q in quarantined] == [2, 3, 4]
        assert json.loads(quarantined[0].raw_text) == {"FirstName": "No", "LastName": "Id"}
        assert SourceRecord.objects.count() == 2

    def test_text_that_is_not_valid_unicode_is_rejected_not_a_500(self, api, crm):
        api.token("write")
        raw = '[{"Id": "U-1", "FirstName": "\\ud800"}, {"Id": "U-2", "FirstName": "Ok"}]'
        response = api.post(URL.format("crm"), data=raw, content_type="application/json")
        assert response.status_code == 200
        records = response.json()["records"]
        assert [r["outcome"] for r in records] == ["rejected", "created"]
        assert "not valid Unicode" in records[0]["errors"][0]
        assert "\\ud800" in QuarantinedRow.objects.get().raw_text

    def test_long_idempotency_key_is_400(self, api, crm):
        api.token("write")
        response = post(api, ada(), HTTP_IDEMPOTENCY_KEY="k" * 300)
        assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
        assert not SourceRecord.objects.exists()

    def test_duplicate_ids_in_one_request_last_wins(self, api, crm):
        api.token("write")
        data = post(api, [ada(MailingCity="Perth"), ada(MailingCity="Hobart")]).json()
        assert [r["outcome"] for r in data["records"]] == ["created", "updated"]
        assert data["counts"]["duplicates"] == 1
        assert SourceRecord.objects.get().city == "Hobart"

    def test_changes_carry_the_source_as_origin(self, api, crm, match_model):
        api.token("write")
        post(api, ada())
        assert CustomerChange.objects.exists()
        assert set(CustomerChange.objects.values_list("origin_source", flat=True)) == {"crm"}


class TestLimitsAndBadBodies:
    def test_over_1000_records_is_413(self, api, crm):
        api.token("write")
        response = post(api, [ada(Id=f"X-{i}") for i in range(1001)])
        assert response.status_code == 413
        assert "1000" in response.json()["detail"]
        assert not SourceRecord.objects.exists()

    def test_body_over_the_size_limit_is_413(self, api, crm, settings):
        settings.MDM_API_MAX_BODY_BYTES = 2000
        api.token("write")
        response = post(api, [ada(Id=f"X-{i}") for i in range(50)])
        assert response.status_code == 413
        assert "2000 bytes" in response.json()["detail"]

    def test_djangos_own_limit_is_a_413_too(self, api, crm, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        api.token("write")
        response = post(api, [ada(Id=f"X-{i}") for i in range(50)])
        assert response.status_code == 413

    @pytest.mark.parametrize(
        ("raw", "needle"),
        [("{not json", "JSON parse error"), ("", "Empty body"), ("[]", "Empty list"), ("42", "one record")],
    )
    def test_malformed_bodies_are_400(self, api, crm, raw, needle):
        api.token("write")
        response = api.post(URL.format("crm"), data=raw, content_type="application/json")
        assert response.status_code == 400
        assert needle in response.json()["detail"]

    def test_another_media_type_is_415(self, api, crm):
        api.token("write")
        response = api.post(URL.format("crm"), data="Id=1", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 415


class TestIdempotency:
    def test_same_key_replays_the_stored_response(self, api, crm):
        api.token("write")
        first = post(api, [ada()], HTTP_IDEMPOTENCY_KEY="k-1")
        replay = post(api, [ada()], HTTP_IDEMPOTENCY_KEY="k-1")
        assert replay.status_code == first.status_code == 200
        assert replay.json() == first.json()
        assert replay.json()["records"][0]["outcome"] == "created"
        assert ImportBatch.objects.count() == 1

    def test_same_key_with_another_body_is_409(self, api, crm):
        api.token("write")
        post(api, [ada()], HTTP_IDEMPOTENCY_KEY="k-2")
        response = post(api, [ada(MailingCity="Perth")], HTTP_IDEMPOTENCY_KEY="k-2")
        assert response.status_code == 409
        assert "k-2" in response.json()["detail"]
        assert SourceRecord.objects.get().city == ""


class TestAllOrNothing:
    def test_a_failure_mid_write_leaves_nothing(self, api, crm, match_model, monkeypatch):
        api.token("write")

        def crash(**kwargs):
            raise RuntimeError("resolution crashed")

        monkeypatch.setattr("profiles.api.source_records.records_resolve_now", crash)
        api.raise_request_exception = False
        response = post(api, [ada(), {"no": "id"}, ada(Id="A-2")])
        assert response.status_code == 500
        assert "detail" in response.json()
        assert not SourceRecord.objects.exists()
        assert not QuarantinedRow.objects.exists()
        assert not Customer.objects.exists()
        batch = ImportBatch.objects.get()
        assert batch.status == BatchStatus.FAILED and "resolution crashed" in batch.error
        assert batch.created == 0


class TestRealTimeResolution:
    def test_two_matching_records_get_the_same_golden_record(self, api, sources, match_model):
        api.token("write")
        crm = post(
            api, ada(Id="RT-1", Email="zenobia.quartermaine@example.org", FirstName="Zenobia", LastName="Quartermaine")
        )
        erp_record = {
            "KUNNR": "RT-9",
            "NAME1": "QUARTERMAINE, Zenobia",
            "SMTP_ADDR": "zenobia.quartermaine@example.org",
        }
        erp = post(api, erp_record, source="erp")
        crm_customer = crm.json()["records"][0]["customer_id"]
        assert crm_customer is not None
        assert erp.json()["records"][0]["customer_id"] == crm_customer
        stranger = post(api, ada(Id="RT-2", Email="x.y@nowhere.example", FirstName="Xavier", LastName="Yellowtail"))
        assert stranger.json()["records"][0]["customer_id"] not in (None, crm_customer)
        assert (
            SourceRecord.objects.filter(external_id__in=["RT-1", "RT-2", "RT-9"], pending_resolution=True).count() == 0
        )
