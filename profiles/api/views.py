"""Read endpoints of the REST API (SPEC §4): golden records, timeline, changes feed, review queue
and steward decisions. Views parse, call one selector or service, and serialize."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponsePermanentRedirect
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from connectors.models import Activity
from mdm.api import CursorPagination, api_actor
from profiles import selectors
from profiles.api.serializers import (
    ActivitySerializer,
    ChangeFeedQuerySerializer,
    ChangeFeedSerializer,
    CustomerListSerializer,
    CustomerSerializer,
    DecisionSerializer,
    MatchPairQuerySerializer,
    MatchPairSerializer,
)
from profiles.choices import CustomerStatus, PairStatus
from profiles.filtersets import CustomerFilterSet, MatchPairFilterSet
from profiles.models import Customer, MatchPair
from profiles.services.review import match_pair_review_decide

ERROR = OpenApiResponse(description='`{"detail": "..."}`')
MOVED = OpenApiResponse(description="merged away: `Location` is the same resource of the surviving golden record")
GONE = OpenApiResponse(description="deleted: no source record holds this golden record any more")
ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="golden record id")


class GoldenRecordGone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This golden record was deleted: no source record holds it any more."
    default_code = "gone"


def _golden_record_or_redirect(
    request: Request, pk: int, route: str, customer: Customer | None = None
) -> Customer | HttpResponsePermanentRedirect:
    """The live golden record `pk` (or the `customer` already read), a 301 to the survivor's
    `route` for a merged-away id, 410 for a deleted one, 404 for an unknown one."""
    if customer is None:
        customer = Customer.objects.filter(pk=pk).only("id", "status", "merged_into_id").first()
    if customer is None:
        raise exceptions.NotFound(f"No golden record {pk}.")
    if customer.status == CustomerStatus.ACTIVE:
        return customer
    live = selectors.customer_live_get(customer)
    if live is None:
        raise GoldenRecordGone()
    url = reverse(route, args=[live.pk], request=request)
    if request.META.get("QUERY_STRING"):
        url += "?" + request.META["QUERY_STRING"]
    return HttpResponsePermanentRedirect(url)


class TimelinePagination(CursorPagination):
    ordering = ("-occurred_at", "-id")


class MatchPairPagination(CursorPagination):
    ordering = ("priority", "id")


@extend_schema(tags=["customers"], summary="Golden records", description="Active golden records; cursor pagination.")
class CustomerListView(generics.ListAPIView):
    serializer_class = CustomerListSerializer
    filterset_class = CustomerFilterSet
    required_scope = "read"

    def get_queryset(self):  # type: ignore[override]
        return selectors.customer_list()


@extend_schema(
    tags=["customers"],
    summary="One golden record with provenance and xrefs",
    parameters=[ID_PARAMETER],
    responses={200: CustomerSerializer, 301: MOVED, 404: ERROR, 410: GONE},
)
class CustomerView(APIView):
    required_scope = "read"

    def get(self, request: Request, pk: int) -> Response | HttpResponsePermanentRedirect:
        customer = selectors.customer_api_get(pk)  # with its attributes and xrefs (as tuples): three queries
        found = _golden_record_or_redirect(request, pk, "api-customer-detail", customer)
        if not isinstance(found, Customer):
            return found
        return Response(CustomerSerializer(found, context={"request": request}).data)


@extend_schema(
    tags=["customers"],
    summary="Timeline: activities from every source, newest first",
    parameters=[ID_PARAMETER],
    responses={200: ActivitySerializer(many=True), 301: MOVED, 404: ERROR, 410: GONE},
)
class CustomerTimelineView(generics.ListAPIView):
    serializer_class = ActivitySerializer
    pagination_class = TimelinePagination
    required_scope = "read"
    filter_backends: list = []

    def get(self, request: Request, *args: object, **kwargs: object) -> Response | HttpResponsePermanentRedirect:
        found = _golden_record_or_redirect(request, self.kwargs["pk"], "api-customer-timeline")
        if not isinstance(found, Customer):
            return found
        self.customer = found
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):
            return Activity.objects.none()
        return selectors.customer_timeline(self.customer)


@extend_schema(
    tags=["changes"],
    summary="Changes feed",
    description=(
        "Golden-record changes in commit order. Keep `next` and pass it as `after` next time: nothing is "
        "missed and nothing is seen twice. `has_more` says another page is already waiting."
    ),
    parameters=[ChangeFeedQuerySerializer],
    responses={200: ChangeFeedSerializer, 400: ERROR},
)
class ChangeFeedView(APIView):
    required_scope = "read"

    def get(self, request: Request) -> Response:
        query = ChangeFeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        rows = selectors.customer_change_feed(after=after, limit=limit + 1)
        has_more = len(rows) > limit
        rows = rows[:limit]
        for row in rows:
            row["occurred_at"] = row.pop("created_at").isoformat().replace("+00:00", "Z")
        return Response({"results": rows, "next": rows[-1]["sequence"] if rows else after, "has_more": has_more})


@extend_schema(
    tags=["match pairs"],
    summary="Review queue",
    description="Match pairs of one status (default: waiting for review), closest to the auto-link threshold first.",
    parameters=[MatchPairQuerySerializer],
)
class MatchPairListView(generics.ListAPIView):
    serializer_class = MatchPairSerializer
    filterset_class = MatchPairFilterSet
    pagination_class = MatchPairPagination
    required_scope = "read"

    def get_queryset(self):  # type: ignore[override]
        if getattr(self, "swagger_fake_view", False):
            return MatchPair.objects.none()
        query = MatchPairQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.match_pair_queue(status=query.validated_data["status"], order=query.validated_data["ordering"])


@extend_schema(tags=["match pairs"], summary="One match pair", responses={200: MatchPairSerializer, 404: ERROR})
class MatchPairView(generics.RetrieveAPIView):
    serializer_class = MatchPairSerializer
    required_scope = "read"

    def get_queryset(self):  # type: ignore[override]
        return MatchPair.objects.select_related(
            "record_a__source", "record_b__source", "record_a__customer", "record_b__customer"
        )


@extend_schema(
    tags=["match pairs"],
    summary="Decide a pair waiting for review",
    description="`match` makes the two records a must-link, `no-match` a cannot-link; the next resolution applies it.",
    request=DecisionSerializer,
    responses={200: MatchPairSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
)
class MatchPairDecisionView(APIView):
    required_scope = "steward"

    def post(self, request: Request, pk: int) -> Response:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pair = MatchPair.objects.filter(pk=pk).first()
        if pair is None:
            raise exceptions.NotFound(f"No match pair {pk}.")
        if pair.status != PairStatus.REVIEW:
            return self._already_decided(pair)
        try:
            match_pair_review_decide(
                pair=pair,
                decision=body.validated_data["decision"],
                comment=body.validated_data["comment"],
                actor=api_actor(request),
            )
        except DjangoValidationError:
            pair.refresh_from_db()
            if pair.status != PairStatus.REVIEW:  # decided by someone else in between
                return self._already_decided(pair)
            raise
        pair = MatchPairView().get_queryset().get(pk=pk)
        return Response(MatchPairSerializer(pair, context={"request": request}).data)

    @staticmethod
    def _already_decided(pair: MatchPair) -> Response:
        if pair.status == PairStatus.DECIDED:
            detail = f"Match pair {pair.pk} was already decided ({pair.decision} by {pair.decided_by})."
        else:
            detail = f"Match pair {pair.pk} is not waiting for review (status {pair.status})."
        return Response({"detail": detail}, status=status.HTTP_409_CONFLICT)
