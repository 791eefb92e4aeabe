"""Top-level URL configuration: pages, admin and accounts."""

from django.contrib import admin
from django.urls import include, path

from mdm import views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("", include("connectors.urls")),
    path("", include("profiles.urls")),
    path("", include("governance.urls")),
    path("api/v1/", include("mdm.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
