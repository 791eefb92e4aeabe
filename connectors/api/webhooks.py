"""Webhook subscriptions and their delivery log through the API (`steward` scope).

Views parse, call one service of `connectors.services.webhooks`, and render. The signing secret
is returned once, in the answer to the POST that creates the subscription.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.choices import WebhookDeliveryStatus, WebhookEventType
from connectors.models import SourceSystem, WebhookDelivery, WebhookSubscription
from connectors.services import webhooks
from mdm.api import CursorPagination

SCOPE = "steward"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the delivery's state."
    default_code = "conflict"


def _actor(request: Request) -> str:
    token = getattr(request, "auth", None)
    if getattr(request.user, "is_authenticated", False):
        return request.user.get_username()
    return f"token:{getattr(token, 'name', '?')}"


def _http_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")):
        raise serializers.ValidationError("The url must be an http:// or https:// URL.")
    return value


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as read and changed; `event_types` empty = every type; `source` = the
    source system it syncs into (changes that system caused are not sent back to it)."""

    url = serializers.URLField(max_length=1000, validators=[_http_url])
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices), required=False, allow_empty=True
    )
    source = serializers.SlugRelatedField(
        slug_field="code", queryset=SourceSystem.objects.all(), required=False, allow_null=True
    )
    max_attempts = serializers.IntegerField(min_value=1, max_value=50, required=False)
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        min_length=webhooks.SECRET_MIN_LENGTH,
        max_length=200,
        help_text="signing secret; generated when omitted on create, kept when omitted on update",
    )
    deliveries_url = serializers.SerializerMethodField()

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "source",
            "active",
            "max_attempts",
            "secret",
            "created_by",
            "created_at",
            "updated_at",
            "deliveries_url",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at", "deliveries_url"]

    def get_deliveries_url(self, obj: WebhookSubscription) -> str:
        return f"/api/v1/webhooks/{obj.pk}/deliveries/"


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    """The answer to a create: the subscription with its signing secret, shown this once."""

    secret = serializers.CharField(read_only=True, help_text="the HMAC-SHA256 signing secret; store it now")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent (or to send) to a subscriber, and how sending went."""

    payload = serializers.JSONField(help_text="the event body, without the delivery id")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "sequence",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


class WebhookErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SubscriptionPagination(CursorPagination):
    ordering = "id"


class DeliveryPagination(CursorPagination):
    ordering = "-sequence"  # unique within a subscription: newest first


def _service_errors(exc: DjangoValidationError) -> exceptions.ValidationError:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    return exceptions.ValidationError(detail)


@extend_schema_view(
    get=extend_schema(summary="List webhook subscriptions", tags=["webhooks"]),
    post=extend_schema(
        summary="Create a webhook subscription",
        tags=["webhooks"],
        responses={201: WebhookSubscriptionCreatedSerializer},
    ),
)
class WebhookSubscriptionListView(generics.ListCreateAPIView):
    """Subscriptions; creating one answers its signing secret once."""

    required_scope = SCOPE
    serializer_class = WebhookSubscriptionSerializer
    pagination_class = SubscriptionPagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.select_related("source").order_by("id")

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            subscription = webhooks.webhook_subscription_create(actor=_actor(request), **serializer.validated_data)
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        data = WebhookSubscriptionCreatedSerializer(subscription, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="Get a webhook subscription", tags=["webhooks"]),
    patch=extend_schema(summary="Change a webhook subscription", tags=["webhooks"]),
    delete=extend_schema(summary="Delete a webhook subscription and its delivery log", tags=["webhooks"]),
)
class WebhookSubscriptionDetailView(generics.RetrieveUpdateDestroyAPIView):
    required_scope = SCOPE
    serializer_class = WebhookSubscriptionSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return WebhookSubscription.objects.select_related("source")

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        subscription = self.get_object()
        serializer = self.get_serializer(subscription, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            webhooks.webhook_subscription_update(
                subscription=subscription, actor=_actor(request), data=serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        return Response(self.get_serializer(subscription).data)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        webhooks.webhook_subscription_delete(subscription=instance, actor=_actor(self.request))


def _subscription_or_404(pk: int) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(pk=pk).first()
    if subscription is None:
        raise exceptions.NotFound(f"No webhook subscription {pk}.")
    return subscription


@extend_schema_view(
    get=extend_schema(
        summary="A subscription's delivery log, newest first",
        tags=["webhooks"],
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=WebhookDeliveryStatus.values,
                description="only deliveries in this status (dead = dead-lettered)",
            )
        ],
    )
)
class WebhookDeliveryListView(generics.ListAPIView):
    required_scope = SCOPE
    serializer_class = WebhookDeliverySerializer
    pagination_class = DeliveryPagination
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        subscription = _subscription_or_404(self.kwargs["pk"])
        deliveries = WebhookDelivery.objects.filter(subscription=subscription)
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in WebhookDeliveryStatus.values:
                raise exceptions.ValidationError(
                    {"status": [f"Must be one of {', '.join(WebhookDeliveryStatus.values)}, not {wanted!r}."]}
                )
            deliveries = deliveries.filter(status=wanted)
        return deliveries


class WebhookRedeliverView(APIView):
    """Send a failed or dead delivery again (fresh attempts), in its subscription's order."""

    required_scope = SCOPE

    @extend_schema(
        summary="Redeliver a failed or dead delivery",
        tags=["webhooks"],
        request=None,
        responses={202: WebhookDeliverySerializer, 404: WebhookErrorSerializer, 409: WebhookErrorSerializer},
    )
    def post(self, request: Request, pk: int, delivery_id: int) -> Response:
        subscription = _subscription_or_404(pk)
        delivery = WebhookDelivery.objects.filter(subscription=subscription, pk=delivery_id).first()
        if delivery is None:
            raise exceptions.NotFound(f"No delivery {delivery_id} of webhook subscription {pk}.")
        try:
            webhooks.webhook_delivery_redeliver(delivery=delivery, actor=_actor(request))
        except webhooks.WebhookError as exc:
            raise Conflict(str(exc)) from exc
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
