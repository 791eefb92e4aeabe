"""The integration catalog with live health, as the API shows it (read only)."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.catalog import format_duration
from governance.models import Finding, Integration


def _duration(value: timedelta | None) -> str | None:
    return format_duration(timedelta(seconds=int(value.total_seconds()))) if value is not None else None


class HealthSerializer(serializers.Serializer):
    """Observed health, computed at the time of the request (never stored)."""

    freshness = serializers.CharField(allow_null=True, help_text="fresh | late | stale | never; null if unregistered")
    last_success_at = serializers.DateTimeField(allow_null=True, help_text="end of the last successful sync")
    last_attempt_at = serializers.DateTimeField(allow_null=True, help_text="start of the last sync attempt")
    lag = serializers.SerializerMethodField(help_text="time since the last successful sync, ISO 8601")
    lag_seconds = serializers.SerializerMethodField()
    failing = serializers.BooleanField(help_text="the latest finished run failed")
    runs = serializers.IntegerField(help_text="finished runs in the last 7 days")
    failed_runs = serializers.IntegerField()
    error_rate = serializers.FloatField(allow_null=True, help_text="failed runs / runs, last 7 days")
    rows_read = serializers.IntegerField()
    rejected = serializers.IntegerField(help_text="rows quarantined, last 7 days")
    quarantine_rate = serializers.FloatField(allow_null=True, help_text="rejected / rows read, last 7 days")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_lag(self, health: object) -> str | None:
        return _duration(health.lag)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_lag_seconds(self, health: object) -> int | None:
        return int(health.lag.total_seconds()) if health.lag is not None else None


class FindingCountsSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    error = serializers.IntegerField()
    warning = serializers.IntegerField()
    info = serializers.IntegerField()


class IntegrationSerializer(serializers.ModelSerializer):
    """An integration as declared in the catalog, with its live health and open findings."""

    code = serializers.CharField(source="source.code")
    name = serializers.CharField(source="source.name")
    kind = serializers.CharField(source="source.kind")
    trust = serializers.FloatField(source="source.trust")
    cadence = serializers.SerializerMethodField(help_text="declared longest gap between syncs, ISO 8601")
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    domains = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    classification = serializers.ListField(child=serializers.CharField())
    docs = serializers.CharField(source="docs_url")
    health = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "code",
            "name",
            "kind",
            "trust",
            "pattern",
            "direction",
            "cadence",
            "owner",
            "steward",
            "domains",
            "classification",
            "lifecycle",
            "protocol",
            "endpoint",
            "docs",
            "health",
            "findings",
        ]
        read_only_fields = fields

    def get_cadence(self, integration: Integration) -> str:
        return format_duration(integration.cadence)

    @extend_schema_field(HealthSerializer)
    def get_health(self, integration: Integration) -> dict:
        health = self.context["health"].get(integration.source_id)
        return HealthSerializer(health).data if health is not None else None

    @extend_schema_field(FindingCountsSerializer)
    def get_findings(self, integration: Integration) -> dict:
        counts = self.context["finding_counts"].get(integration.source_id, {})
        return {
            "open": sum(counts.values()),
            "error": counts.get("error", 0),
            "warning": counts.get("warning", 0),
            "info": counts.get("info", 0),
        }


class FindingSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    age_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = ["id", "rule", "severity", "owner", "message", "opened_at", "checked_at", "age_seconds"]
        read_only_fields = fields

    def get_age_seconds(self, finding: Finding) -> int:
        return int(finding.age(self.context.get("now")).total_seconds())


class ConsumerSerializer(serializers.Serializer):
    ref = serializers.CharField(help_text="e.g. webhook:billing-sync or api-token:bi")
    kind = serializers.CharField()
    name = serializers.CharField()


class BlastRadiusSerializer(serializers.Serializer):
    golden_records = serializers.IntegerField(source="customers", help_text="live golden records it supplies values to")
    consumers = ConsumerSerializer(many=True)


class TrustSerializer(serializers.Serializer):
    current = serializers.FloatField()
    suggested = serializers.FloatField(allow_null=True, help_text="null: too few records to judge")


class IntegrationDetailSerializer(IntegrationSerializer):
    """One integration: the catalog entry and health, open findings, blast radius, trust suggestion."""

    open_findings = serializers.SerializerMethodField()
    blast_radius = serializers.SerializerMethodField()
    trust_suggestion = serializers.SerializerMethodField()

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "open_findings", "blast_radius", "trust_suggestion"]
        read_only_fields = fields

    @extend_schema_field(FindingSerializer(many=True))
    def get_open_findings(self, integration: Integration) -> list:
        return FindingSerializer(self.context["open_findings"], many=True, context=self.context).data

    @extend_schema_field(BlastRadiusSerializer)
    def get_blast_radius(self, integration: Integration) -> dict:
        return BlastRadiusSerializer(self.context["blast_radius"]).data

    @extend_schema_field(TrustSerializer)
    def get_trust_suggestion(self, integration: Integration) -> dict:
        return TrustSerializer(self.context["trust"]).data
