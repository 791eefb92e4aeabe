"""Source records through the API: upsert (with real-time identity resolution), delete, xref lookup.

The views parse and check the request, then call one service: `source_records_upsert` (the
importer's semantics, one transaction) wired to `records_resolve_now`, or `source_record_delete`.
Everything they change is marked with the source as the change's origin, so outbound sync does not
echo a source's own writes back to it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.models import ApiToken
from access.permissions import token_source_allowed
from access.services import IdempotencyConflict, idempotent_response_get, idempotent_response_store, request_fingerprint
from connectors.models import SourceRecord, SourceSystem
from connectors.policies import WriteRefused, check_write_allowed
from connectors.services.record_upsert import (
    MAX_RECORDS_PER_REQUEST,
    Resolver,
    UpsertResult,
    source_records_upsert,
)
from profiles.api.source_record_serializers import (
    ErrorSerializer,
    RecordDeleteSerializer,
    UpsertResponseSerializer,
    XrefSerializer,
)
from profiles.models import Customer, MatchModel
from profiles.selectors import customer_attribute_values
from profiles.services.changes import change_origin
from profiles.services.resolution import records_resolve_now
from profiles.services.values import source_record_delete

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Deadlock detected, serialization failure: the write was rolled back whole and may simply be retried.
TRANSIENT_SQLSTATES = ("40P01", "40001")
UPSERT_ATTEMPTS = 3


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class Busy(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is busy: retry the request."
    default_code = "busy"
    wait = 1  # seconds, sent as Retry-After


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


def _source_or_404(code: str) -> SourceSystem:
    source = SourceSystem.objects.filter(code=code).first()
    if source is None:
        raise exceptions.NotFound(f"No source {code!r}: see GET /api/v1/integrations/ for the registered sources.")
    return source


def _check_may_write(request: Request, source: SourceSystem) -> None:
    if not token_source_allowed(request, source):
        bound = request.auth.source.code if isinstance(request.auth, ApiToken) and request.auth.source else "?"
        raise exceptions.PermissionDenied(
            f"This token may only write records of source {bound!r}, not {source.code!r}."
        )


def _actor(request: Request) -> str:
    if isinstance(request.auth, ApiToken):
        return f"api:{request.auth.name}"
    return f"api:{getattr(request.user, 'username', '') or 'anonymous'}"


def _body(request: Request) -> bytes:
    """The raw body, refused with a 413 above the configured size before anything is parsed."""
    limit = settings.MDM_API_MAX_BODY_BYTES
    too_large = f"Request body larger than {limit} bytes: send fewer records per request."
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge(too_large)
    try:
        return request.body
    except RequestDataTooBig:
        raise PayloadTooLarge(too_large) from None


def _records_of(request: Request, body: bytes) -> list[object]:
    if not body.strip():
        raise exceptions.ParseError("Empty body: send one record (a JSON object) or a list of records.")
    # The API's JSON parser: malformed or too deeply nested JSON is a 400, another media type a 415.
    payload = request.data
    if isinstance(payload, dict):
        return [payload]
    if not isinstance(payload, list):
        raise exceptions.ParseError("Send one record (a JSON object) or a list of records.")
    if not payload:
        raise exceptions.ParseError("Empty list: send at least one record.")
    if len(payload) > MAX_RECORDS_PER_REQUEST:
        raise PayloadTooLarge(
            f"At most {MAX_RECORDS_PER_REQUEST} records per request; this one has {len(payload)}. Split it."
        )
    return payload


def _resolver(actor: str) -> Resolver | None:
    """Real-time resolution, once there is a matching model: before the first `resolve` run there
    is none to score pairs with, and the records wait (pending) for that run."""
    if not MatchModel.objects.filter(is_active=True).exists():
        return None

    def resolve(record_ids: list[int]) -> dict[int, int]:
        return records_resolve_now(record_ids=record_ids, actor=actor)

    return resolve


def _upsert_body(source: SourceSystem, result: UpsertResult, *, resolved: bool) -> dict[str, object]:
    return {
        "source": source.code,
        "batch": result.batch.pk,
        "resolved": resolved,
        "counts": result.counts,
        "records": [
            {
                "index": r.index,
                "source_id": r.source_id,
                "outcome": r.outcome,
                "customer_id": r.customer_id,
                "record_id": r.record_id,
                "errors": r.errors,
                "issues": r.issues,
            }
            for r in result.records
        ],
    }


_UPSERT_EXAMPLE = {"Id": "0035g000001", "FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com"}


class SourceRecordUpsertView(APIView):
    """`POST /api/v1/sources/{source}/records/`: upsert records of one source and resolve them now."""

    required_scope = "write"

    @extend_schema(
        operation_id="source_records_upsert",
        summary="Upsert source records (one or up to 1000) with real-time identity resolution",
        description=(
            "Body: one record (a JSON object keyed by the source's own column names, as in its catalog "
            "mapping, with its id in the source's `id_field`) or a list of up to 1000. Same semantics as "
            "`import_records`: each record is `created`, `updated`, `unchanged` (identical to the stored "
            "one), `stale` (older than the stored one by the source's `updated_at_field`) or `rejected` "
            "(not an object, no id, an id that is not text or an integer; kept in quarantine under this "
            "call's import batch with its errors). Invalid attribute values do not reject a record: they "
            "are left empty and reported in `issues`. The good records are written in one transaction and "
            "resolved at once: `customer_id` is the golden record holding each one (`resolved` is false, and "
            "`customer_id` null, before the first identity resolution: the records then wait for it). With an "
            "`Idempotency-Key` header, a repeat of the same request answers the stored response; the same "
            "key with another body is a 409. More than 1000 records or a body over the size limit "
            "(`MDM_API_MAX_BODY_BYTES`, 10 MB by default): 413. A token bound to another source: 403. "
            "A source whose writes a governance policy refuses (deprecated or unregistered integration): 409."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Any unique string (1-255 characters) per logical request, e.g. a UUID.",
            )
        ],
        request={"application/json": {"oneOf": [{"type": "object"}, {"type": "array", "items": {}}]}},
        examples=[OpenApiExample("one record", value=_UPSERT_EXAMPLE, request_only=True)],
        responses={
            200: UpsertResponseSerializer,
            400: ErrorSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
            413: ErrorSerializer,
            415: ErrorSerializer,
            503: ErrorSerializer,
        },
    )
    def post(self, request: Request, source: str) -> Response:
        system = _source_or_404(source)
        _check_may_write(request, system)
        body = _body(request)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        key = request.headers.get(IDEMPOTENCY_HEADER)
        fingerprint = ""
        if key is not None and token is not None:
            fingerprint = request_fingerprint(method=request.method, path=request.path, body=body)
            try:
                stored = idempotent_response_get(token=token, key=key, fingerprint=fingerprint)
            except IdempotencyConflict as exc:
                raise Conflict(f"{exc}: use a new key for a new request.") from exc
            if stored is not None:
                stored_status, stored_body = stored
                return Response(stored_body, status=stored_status, headers={"Idempotent-Replayed": "true"})
        records = _records_of(request, body)
        actor = _actor(request)
        resolver = _resolver(actor)
        for attempt in range(1, UPSERT_ATTEMPTS + 1):
            try:
                with change_origin(system.code):
                    result = source_records_upsert(source=system, records=records, actor=actor, resolve=resolver)
                break
            except WriteRefused as exc:
                raise Conflict(f"Writes to source {system.code!r} are refused: {exc.reason}") from exc
            except OperationalError as exc:
                # A deadlock or serialisation failure rolled the whole write back: try again, then
                # tell the client to (its batch is kept as failed with the database's reason).
                if getattr(exc.__cause__, "sqlstate", None) not in TRANSIENT_SQLSTATES:
                    raise
                if attempt == UPSERT_ATTEMPTS:
                    raise Busy(f"The database aborted this write {attempt} times ({exc}): retry it.") from exc
        data = _upsert_body(system, result, resolved=resolver is not None)
        if key is not None and token is not None:
            idempotent_response_store(token=token, key=key, fingerprint=fingerprint, status=200, body=data)
        return Response(data, status=status.HTTP_200_OK)


class SourceRecordView(APIView):
    """`DELETE /api/v1/sources/{source}/records/{source_id}/`: the source deleted this record."""

    required_scope = "write"

    @extend_schema(
        operation_id="source_record_delete",
        summary="Mark a source record deleted; its golden record is recomputed",
        description=(
            "The record is unlinked and its golden record recomputed (or marked deleted when it holds no "
            "other record). Repeating the call is harmless: it answers 200 with `already_deleted: true`. "
            "An unknown source or record: 404. Sending the record again through the upsert revives it."
        ),
        responses={
            200: RecordDeleteSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def delete(self, request: Request, source: str, source_id: str) -> Response:
        system = _source_or_404(source)
        _check_may_write(request, system)
        record = SourceRecord.objects.filter(source=system, external_id=source_id).first()
        if record is None:
            raise exceptions.NotFound(f"Source {system.code!r} has no record {source_id!r}.")
        already = record.is_deleted
        customer_id = record.customer_id
        if not already:
            try:
                check_write_allowed(system)
            except WriteRefused as exc:
                raise Conflict(f"Writes to source {system.code!r} are refused: {exc.reason}") from exc
            with change_origin(system.code), transaction.atomic():
                source_record_delete(record=record, actor=_actor(request))
        status_after = None
        if customer_id is not None:
            status_after = Customer.objects.filter(pk=customer_id).values_list("status", flat=True).first()
        return Response(
            {
                "source": system.code,
                "source_id": record.external_id,
                "deleted": True,
                "already_deleted": already,
                "customer_id": customer_id,
                "customer_status": status_after,
            }
        )


class XrefView(APIView):
    """`GET /api/v1/xrefs/{source}/{source_id}/`: the golden record holding a source record."""

    required_scope = "read"

    @extend_schema(
        operation_id="xref_get",
        summary="The golden record holding a source record",
        description=(
            "`resolution` is `linked` (the record is held by `customer`), or `pending` when the record has "
            "not been through identity resolution yet (`customer` is then null; run `resolve` or upsert it "
            "through the API to resolve it at once). `pending_resolution` is true when a linked record "
            "changed since it was last resolved. A deleted record or an unknown source or record: 404."
        ),
        responses={200: XrefSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, source: str, source_id: str) -> Response:
        system = _source_or_404(source)
        record = (
            SourceRecord.objects.filter(source=system, external_id=source_id)
            .select_related("customer", "customer__merged_into")
            .first()
        )
        if record is None:
            raise exceptions.NotFound(f"Source {system.code!r} has no record {source_id!r}.")
        if record.is_deleted:
            raise exceptions.NotFound(f"Record {source_id!r} of source {system.code!r} was deleted.")
        customer = record.customer
        if customer is not None and customer.merged_into is not None:
            customer = customer.merged_into  # retired ids always redirect to a live record
        data: dict[str, object] = {
            "source": system.code,
            "source_id": record.external_id,
            "record_id": record.pk,
            "resolution": "linked" if customer is not None else "pending",
            "pending_resolution": record.pending_resolution,
            "customer": None,
        }
        if customer is not None:
            data["customer"] = {
                "id": customer.pk,
                "status": customer.status,
                "attributes": customer_attribute_values([customer.pk]).get(customer.pk, {}),
            }
        return Response(data)
