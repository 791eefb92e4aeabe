"""`POST /api/v1/sources/{source}/events/`: signed change events from a source (connector `events`).

No session and no token: the HMAC signature over the timestamp and the body, with the secret
named by the source's connector block, is the authentication. The view checks the signature,
parses, and calls one service (`source_events_apply`); deletes go through the MDM's own
`source_record_delete`, so the golden record is recomputed, and every change is marked as
originating from the source (outbound sync does not echo it back).
"""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.models import SourceRecord, SourceSystem
from connectors.policies import WriteRefused
from connectors.pull.config import EVENTS
from connectors.pull.events import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventsRejected,
    event_signature_problem,
    source_events_apply,
    source_events_reject,
)
from profiles.services.changes import change_origin
from profiles.services.values import source_record_delete

DEFAULT_MAX_BODY = 10 * 1024 * 1024


class EventOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="position of the event in the request, from 0")
    id = serializers.CharField(allow_null=True, source="event_id")
    outcome = serializers.ChoiceField(["created", "updated", "unchanged", "stale", "deleted", "replayed", "rejected"])
    source_id = serializers.CharField(allow_null=True)
    errors = serializers.ListField(child=serializers.CharField())


class EventsResponseSerializer(serializers.Serializer):
    source = serializers.CharField()
    batch = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    events = EventOutcomeSerializer(many=True)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _error(detail: str, code: int) -> Response:
    return Response({"detail": detail}, status=code)


def _unsigned() -> Response:
    return _error(f"Not authenticated: missing {SIGNATURE_HEADER} header.", status.HTTP_401_UNAUTHORIZED)


class SourceEventsView(APIView):
    """Receive signed create / update / delete events of one source's records."""

    authentication_classes: list = []  # the signature is the authentication
    permission_classes = [AllowAny]

    def http_method_not_allowed(self, request: Request, *args: object, **kwargs: object) -> Response:
        """Unsigned requests are unauthenticated whatever their method, as everywhere in the API."""
        if not request.headers.get(SIGNATURE_HEADER):
            return _unsigned()
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        operation_id="source_events_receive",
        summary="Receive signed change events from a source",
        description=(
            "Body: one event `{id, type: create|update|delete, occurred_at, record, source_id?}`, a list of them, "
            "or `{events: [...]}` (at most 1000). Headers: `X-MDM-Timestamp` (unix seconds, within 5 minutes) and "
            '`X-MDM-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>`. Events are applied in '
            "the order of their `occurred_at`; an event older than the state held is `stale`; an event id "
            "already received is `replayed` (409 when every event of the request is)."
        ),
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter(TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            200: EventsResponseSerializer,
            400: EventsResponseSerializer,
            401: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: EventsResponseSerializer,
            413: DetailSerializer,
            503: OpenApiResponse(DetailSerializer, description="the source's secret is not configured"),
        },
        tags=["sources"],
    )
    def post(self, request: Request, source: str) -> Response:
        # Without a signature nothing is looked up: an anonymous caller learns nothing of the sources.
        if not request.headers.get(SIGNATURE_HEADER):
            return _unsigned()
        system = SourceSystem.objects.filter(code=source).first()
        if system is None or (system.connector or {}).get("kind") != EVENTS:
            return _error(f"No source {source!r} taking events.", status.HTTP_404_NOT_FOUND)
        secret_env = system.connector["secret_env"]
        secret = os.environ.get(secret_env, "")
        if not secret:
            return _error(
                f"The events secret of {system.code!r} is not configured (environment variable {secret_env}).",
                status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        limit = getattr(settings, "MDM_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY)
        try:
            body = request.body
        except RequestDataTooBig:
            body = None
        if body is None or len(body) > limit:
            return _error(f"Request body larger than {limit} bytes.", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        problem = event_signature_problem(
            secret=secret,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body,
        )
        if problem:
            return _error(f"Not authenticated: {problem}.", status.HTTP_401_UNAUTHORIZED)
        actor = f"events:{system.code}"
        try:
            events = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            batch = source_events_reject(
                source=system, raw_text=body.decode("utf-8", "replace"), reason=f"not JSON: {exc}", actor=actor
            )
            return _error(f"The body is not JSON ({exc}); kept in quarantine (batch {batch.pk}).", 400)

        def delete(record: SourceRecord) -> None:
            source_record_delete(record=record, actor=actor)

        try:
            with change_origin(system.code):
                batch, outcomes = source_events_apply(source=system, events=events, actor=actor, record_delete=delete)
        except EventsRejected as exc:
            return _error(str(exc), status.HTTP_400_BAD_REQUEST)
        except WriteRefused as exc:
            return _error(str(exc), status.HTTP_403_FORBIDDEN)
        except IntegrityError:  # the same event id committed by a concurrent request: nothing applied
            return _error("An event of this request was received concurrently; nothing applied.", 409)
        kinds = {o.outcome for o in outcomes}
        code = status.HTTP_200_OK
        if kinds == {"replayed"}:
            code = status.HTTP_409_CONFLICT
        elif kinds <= {"rejected", "replayed"}:
            code = status.HTTP_400_BAD_REQUEST
        body = {
            "source": system.code,
            "batch": batch.pk,
            "counts": batch.counts(),
            "events": EventOutcomeSerializer(outcomes, many=True).data,
        }
        return Response(body, status=code)
