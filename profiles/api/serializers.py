"""Serializers of the read API: golden records with provenance, timeline, changes feed, match
pairs. Values are strings (as the golden attributes store them) so that masked personal data
(`viewer` sessions, SPEC §5) fits the same shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.reverse import reverse

from access.choices import TokenScope
from access.models import ApiToken
from access.permissions import request_scopes
from connectors.models import Activity, SourceRecord
from connectors.standardisation import CANONICAL_ATTRIBUTES
from profiles.choices import ChangeKind, Decision, PairStatus, ValueRule
from profiles.constants import GOLDEN_ATTRIBUTES
from profiles.models import Customer, MatchPair
from profiles.templatetags.mdm_pages import PII_ATTRIBUTES, masked


def pii_visible(request: Request | None) -> bool:
    """Tokens (integrations) and steward sessions see personal data; viewer sessions see it masked."""
    if request is None or isinstance(getattr(request, "auth", None), ApiToken):
        return True
    return TokenScope.STEWARD in request_scopes(request)


def shown(request: Request | None, attribute: str, value: object, *, visible: bool | None = None) -> str:
    """The value as the requester may see it."""
    text = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    if text and attribute in PII_ATTRIBUTES and not (pii_visible(request) if visible is None else visible):
        return masked(text, attribute)
    return text


class _PiiMixin:
    def pii_ok(self) -> bool:
        cached = self.context.get("_pii_visible")  # type: ignore[attr-defined]
        if cached is None:
            cached = pii_visible(self.context.get("request"))  # type: ignore[attr-defined]
            self.context["_pii_visible"] = cached  # type: ignore[attr-defined]
        return cached


class CustomerListSerializer(_PiiMixin, serializers.ModelSerializer):
    """A golden record in a list: its display values (the full record with provenance is at `url`)."""

    url = serializers.SerializerMethodField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    date_of_birth = serializers.SerializerMethodField()
    record_count = serializers.IntegerField(help_text="active source records linked to it")
    has_conflicts = serializers.BooleanField(help_text="its records disagree on an attribute that flags conflicts")

    class Meta:
        model = Customer
        fields = [
            "id",
            "url",
            "status",
            "given_name",
            "family_name",
            "full_name",
            "email",
            "phone",
            "date_of_birth",
            "record_count",
            "has_conflicts",
            "created_at",
            "updated_at",
        ]

    def get_url(self, customer: Customer) -> str:
        return reverse("api-customer-detail", args=[customer.pk], request=self.context.get("request"))

    def get_email(self, customer: Customer) -> str:
        return shown(None, "email", customer.email, visible=self.pii_ok())

    def get_phone(self, customer: Customer) -> str:
        return shown(None, "phone", customer.phone, visible=self.pii_ok())

    def get_date_of_birth(self, customer: Customer) -> str:
        return shown(None, "date_of_birth", customer.date_of_birth, visible=self.pii_ok())


class ProvenanceSerializer(serializers.Serializer):
    """A golden value and where it came from."""

    value = serializers.CharField()
    source = serializers.CharField(allow_null=True, help_text="code of the source that supplied the value")
    source_id = serializers.CharField(allow_null=True, help_text="that source's own id of the record")
    rule = serializers.ChoiceField(choices=ValueRule.choices, help_text="the survivorship rule that chose it")
    decided_by = serializers.CharField(help_text="the part of the rule that decided")
    pinned = serializers.BooleanField(help_text="a steward pinned this value")
    conflict = serializers.BooleanField(help_text="linked records disagree on this attribute")


class CustomerXrefSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_id = serializers.CharField()


class CustomerSerializer(_PiiMixin, serializers.ModelSerializer):
    """A golden record: every attribute with value and provenance, and its xrefs."""

    url = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()
    xrefs = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "url", "status", "attributes", "xrefs", "created_at", "updated_at"]

    def get_url(self, customer: Customer) -> str:
        return reverse("api-customer-detail", args=[customer.pk], request=self.context.get("request"))

    @extend_schema_field(serializers.DictField(child=ProvenanceSerializer()))
    def get_attributes(self, customer: Customer) -> dict[str, dict[str, object]]:
        order = {name: i for i, name in enumerate(GOLDEN_ATTRIBUTES)}
        visible = self.pii_ok()
        # Tuples of selectors.API_ATTRIBUTE_FIELDS (see customer_api_get).
        rows = sorted(customer.api_attributes, key=lambda row: order.get(row[0], len(order)))
        return {
            attribute: {
                "value": shown(None, attribute, value, visible=visible),
                "source": source,
                "source_id": source_id,
                "rule": rule,
                "decided_by": decided_by,
                "pinned": pinned,
                "conflict": conflict,
            }
            for attribute, value, source, source_id, rule, decided_by, pinned, conflict in rows
        }

    @extend_schema_field(CustomerXrefSerializer(many=True))
    def get_xrefs(self, customer: Customer) -> list[dict[str, str]]:
        return [{"source": source, "source_id": external_id} for source, external_id in customer.api_records]


class ActivitySerializer(serializers.ModelSerializer):
    """One timeline entry, from whichever source recorded it."""

    source = serializers.CharField(source="source_record.source.code")
    source_id = serializers.CharField(source="source_record.external_id")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, coerce_to_string=True)

    class Meta:
        model = Activity
        fields = ["kind", "occurred_at", "amount", "summary", "source", "source_id"]


class ChangeSerializer(serializers.Serializer):
    """One golden-record change; `sequence` is the cursor."""

    sequence = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    customer_id = serializers.IntegerField()
    survivor_id = serializers.IntegerField(allow_null=True, help_text="for `merged`: the golden record it went into")
    changed_fields = serializers.ListField(child=serializers.CharField())
    attributes = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="the golden record after the change"
    )
    occurred_at = serializers.DateTimeField()
    origin_source = serializers.CharField(help_text="code of the source whose write caused it (empty: none)")


class ChangeFeedSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next = serializers.IntegerField(help_text="pass as `after` next time (the last sequence; unchanged when empty)")
    has_more = serializers.BooleanField(help_text="more changes are waiting: ask again at once")


class ChangeFeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0, help_text="the last sequence seen (0: from the start)")
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)


class PairRecordSerializer(_PiiMixin, serializers.ModelSerializer):
    """One side of a match pair: the source record's canonical attributes and its golden record."""

    source = serializers.CharField(source="source.code")
    source_id = serializers.CharField(source="external_id")
    customer_id = serializers.IntegerField(allow_null=True, help_text="its golden record")
    attributes = serializers.SerializerMethodField()

    class Meta:
        model = SourceRecord
        fields = ["id", "source", "source_id", "customer_id", "attributes"]

    @extend_schema_field(serializers.DictField(child=serializers.CharField(allow_blank=True)))
    def get_attributes(self, record: SourceRecord) -> dict[str, str]:
        visible = self.pii_ok()
        return {
            name: shown(None, name, getattr(record, name), visible=visible)
            for name in CANONICAL_ATTRIBUTES
            if getattr(record, name) not in (None, "")
        }


class MatchPairSerializer(serializers.ModelSerializer):
    """A scored pair: probability, total match weight and the per-field weights that explain it."""

    url = serializers.SerializerMethodField()
    weights = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="field -> log2 Bayes factor"
    )
    record_a = PairRecordSerializer()
    record_b = PairRecordSerializer()
    decision = serializers.CharField(help_text="match / no-match once decided, else empty")

    class Meta:
        model = MatchPair
        fields = [
            "id",
            "url",
            "status",
            "probability",
            "match_weight",
            "weights",
            "contrary",
            "record_a",
            "record_b",
            "decision",
            "decided_by",
            "decided_at",
            "updated_at",
        ]

    def get_url(self, pair: MatchPair) -> str:
        return reverse("api-match-pair-detail", args=[pair.pk], request=self.context.get("request"))


class MatchPairQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PairStatus.choices, default=PairStatus.REVIEW)
    ordering = serializers.ChoiceField(
        choices=[("threshold", "closest to the auto-link threshold"), ("probability", "highest probability")],
        default="threshold",
    )


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
