"""`/api/v1/`: each app contributes its own routes; the OpenAPI schema and its docs page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from mdm.api import api_urlpatterns

urlpatterns = api_urlpatterns(
    [
        path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
        path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
        path("", include("profiles.api.urls")),
        path("", include("profiles.api.match_urls")),
        path("", include("profiles.api.source_record_urls")),
        path("", include("connectors.api.webhook_urls")),
        path("", include("profiles.api.source_event_urls")),
        path("", include("governance.api.urls")),
    ]
)
