"""Governance API routes, included under /api/v1/."""

from django.urls import path

from governance.api.views import IntegrationListView, IntegrationView

urlpatterns = [
    path("integrations/", IntegrationListView.as_view(), name="api-integrations"),
    path("integrations/<slug:code>/", IntegrationView.as_view(), name="api-integration"),
]
