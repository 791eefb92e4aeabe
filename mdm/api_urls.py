"""`/api/v1/`: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("profiles.api.urls")),
    path("", include("profiles.api.match_urls")),
    path("", include("connectors.api.urls")),
    path("", include("connectors.api.webhook_urls")),
    path("", include("connectors.api.event_urls")),
    path("", include("governance.api.urls")),
]
