"""Response shapes of the source-record endpoints, for the OpenAPI schema (the views build plain dicts)."""

from __future__ import annotations

from rest_framework import serializers

OUTCOMES = ["created", "updated", "unchanged", "stale", "rejected"]


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RecordOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="position of the record in the request, from 0")
    source_id = serializers.CharField(allow_null=True, help_text="the record's id in the source, when readable")
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    customer_id = serializers.IntegerField(
        allow_null=True, help_text="the golden record holding the record (null when rejected)"
    )
    record_id = serializers.IntegerField(allow_null=True, help_text="the MDM's id of the source record")
    errors = serializers.ListField(child=serializers.CharField(), help_text="why a rejected record was refused")
    issues = serializers.DictField(
        child=serializers.CharField(), help_text="canonical attribute -> why its value was left out"
    )


class UpsertCountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    stale = serializers.IntegerField()
    rejected = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="records whose id appeared earlier in the request")
    with_issues = serializers.IntegerField(help_text="written records with invalid attribute values")


class UpsertResponseSerializer(serializers.Serializer):
    source = serializers.CharField()
    batch = serializers.IntegerField(help_text="the import batch of this call (quarantine, governance health)")
    resolved = serializers.BooleanField(
        help_text="false before the first identity resolution: the records then wait for `resolve`"
    )
    counts = UpsertCountsSerializer()
    records = RecordOutcomeSerializer(many=True)


class RecordDeleteSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_id = serializers.CharField()
    deleted = serializers.BooleanField()
    already_deleted = serializers.BooleanField(help_text="true when an earlier call had deleted it")
    customer_id = serializers.IntegerField(allow_null=True, help_text="the golden record that held it")
    customer_status = serializers.CharField(allow_null=True, help_text="that golden record's status now")


class GoldenRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    attributes = serializers.DictField(child=serializers.CharField(allow_blank=True))


class XrefSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_id = serializers.CharField()
    record_id = serializers.IntegerField()
    resolution = serializers.ChoiceField(choices=["linked", "pending"])
    pending_resolution = serializers.BooleanField()
    customer = GoldenRecordSerializer(allow_null=True)
