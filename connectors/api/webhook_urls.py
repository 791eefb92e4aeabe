"""API routes of webhook subscriptions and their delivery log."""

from django.urls import path

from connectors.api import webhooks

urlpatterns = [
    path("webhooks/", webhooks.WebhookSubscriptionListView.as_view(), name="api-webhook-list"),
    path("webhooks/<int:pk>/", webhooks.WebhookSubscriptionDetailView.as_view(), name="api-webhook-detail"),
    path(
        "webhooks/<int:pk>/deliveries/",
        webhooks.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_id>/redeliver/",
        webhooks.WebhookRedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
]
