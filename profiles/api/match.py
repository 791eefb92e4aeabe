"""`POST /api/v1/match/`: "find similar before create".

A system about to create a customer sends the attributes it has; they are standardised exactly as
an incoming source row would be, and scored against the golden records sharing a blocking key
with them by the active matching model, so the answer says what resolution would do with such a
record. Nothing is written.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.row_standardisation import RowMapping, standardise_row
from connectors.services.records import CANONICAL_MAX_LENGTHS
from connectors.standardisation import CANONICAL_ATTRIBUTES, clean_country
from profiles.api.source_record_serializers import ErrorSerializer
from profiles.selectors import customer_match_candidates

# Every canonical attribute but the national id, which "find similar" does not take.
MATCH_ATTRIBUTES = tuple(a for a in CANONICAL_ATTRIBUTES if a != "national_id")
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
# The keys blocking can find candidates by: without one of them nothing can be compared.
_SEARCH_KEYS = ("email_key", "phone_key", "family_key", "given_key", "family_phonetic", "postcode_key")


class TextField(serializers.CharField):
    """Text only: a number or a boolean is refused rather than turned into text (the schema says string)."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError("Not valid Unicode text.") from None
        return super().to_internal_value(data)


class MatchRequestSerializer(serializers.Serializer):
    """Canonical attributes of the customer to look for (any subset, at least one)."""

    given_name = TextField(required=False, allow_blank=True, max_length=200)
    family_name = TextField(required=False, allow_blank=True, max_length=200)
    full_name = TextField(required=False, allow_blank=True, max_length=400)
    email = TextField(required=False, allow_blank=True, max_length=320)
    phone = TextField(required=False, allow_blank=True, max_length=64)
    date_of_birth = TextField(required=False, allow_blank=True, max_length=40, help_text="ISO 8601 date (YYYY-MM-DD)")
    street = TextField(required=False, allow_blank=True, max_length=300)
    city = TextField(required=False, allow_blank=True, max_length=200)
    postcode = TextField(required=False, allow_blank=True, max_length=20)
    state = TextField(required=False, allow_blank=True, max_length=100)
    country = TextField(required=False, allow_blank=True, max_length=60)
    company = TextField(required=False, allow_blank=True, max_length=300)
    default_country = TextField(
        required=False,
        allow_blank=True,
        max_length=60,
        help_text="region for a phone number or address without a country (ISO 3166 alpha-2), like a "
        "source's default_country",
    )

    def validate_default_country(self, value: str) -> str:
        if value.strip() and not clean_country(value):
            raise serializers.ValidationError(f"{value[:60]!r} is not a known country")
        return clean_country(value) or "" if value.strip() else ""

    def validate(self, attrs: dict[str, str]) -> dict[str, str]:
        values = {a: attrs[a] for a in MATCH_ATTRIBUTES if (attrs.get(a) or "").strip()}
        if not values:
            raise serializers.ValidationError(f"Give at least one attribute: {', '.join(MATCH_ATTRIBUTES)}.")
        mapping = RowMapping.of(
            {a: {"field": a, "format": None} for a in MATCH_ATTRIBUTES},
            region=attrs.get("default_country") or None,
            max_lengths=CANONICAL_MAX_LENGTHS,
        )
        standardised = standardise_row(values, {}, mapping)
        issues = standardised.pop("quality_issues")
        if issues:
            raise serializers.ValidationError({a: [reason] for a, reason in sorted(issues.items())})
        if not any(standardised.get(k) for k in _SEARCH_KEYS):
            raise serializers.ValidationError(
                "Not enough to search by: give an email, a phone, a name, or a postcode with a street or name."
            )
        return standardised


class MatchQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT, help_text="candidates returned"
    )


class FieldWeightsField(serializers.DictField):
    child = serializers.FloatField()


class MatchCandidateSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    score = serializers.FloatField(help_text="match probability (0..1) of the best pair with one of its records")
    match_weight = serializers.FloatField(help_text="log2 Bayes factor of that pair: prior + the field weights")
    decision = serializers.ChoiceField(
        choices=["link", "review", "no-match"], help_text="what identity resolution would do with such a record"
    )
    matched_record = serializers.DictField(child=serializers.CharField(), help_text="source and source_id")
    explanation = FieldWeightsField(help_text="field -> match weight (log2): > 0 agrees, < 0 disagrees")
    attributes = serializers.DictField(child=serializers.CharField(allow_blank=True), help_text="golden values")


class MatchResponseSerializer(serializers.Serializer):
    candidates = MatchCandidateSerializer(many=True)


class MatchView(APIView):
    required_scope = "read"

    @extend_schema(
        tags=["match"],
        operation_id="match_find",
        summary="Find golden records similar to a customer before creating it",
        description=(
            "Standardises the attributes like an incoming source row and scores them against the golden "
            "records that share a blocking key with them, with the active matching model. Candidates come "
            "best first with the score (probability), the match weight and the per-field weights that "
            "explain it. Creates nothing. An invalid value (e.g. an e-mail without @) is a 400 naming "
            "the field. Before the first identity resolution there is nothing to match against: no candidates."
        ),
        parameters=[MatchQuerySerializer],
        request=MatchRequestSerializer,
        examples=[
            OpenApiExample(
                "by name and e-mail",
                value={"given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.com"},
                request_only=True,
            )
        ],
        responses={
            200: MatchResponseSerializer,
            400: OpenApiResponse(description='field errors `{"email": ["..."]}` or `{"detail": "..."}`'),
            401: ErrorSerializer,
            403: ErrorSerializer,
            415: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        query = MatchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        if not isinstance(request.data, dict):
            raise exceptions.ParseError("Send a JSON object of canonical attributes.")
        serializer = MatchRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        candidates = customer_match_candidates(keys=serializer.validated_data, limit=limit)
        return Response(
            {
                "candidates": [
                    {
                        "customer_id": c.customer_id,
                        "score": c.probability,
                        "match_weight": c.match_weight,
                        "decision": c.decision,
                        "matched_record": {"source": c.source, "source_id": c.source_id},
                        "explanation": c.field_weights,
                        "attributes": c.attributes,
                    }
                    for c in candidates
                ]
            }
        )
