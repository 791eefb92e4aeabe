"""Top-level URL configuration: pages, admin and accounts."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from audit import views as audit_views
from mdm import api, views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("", include("connectors.urls")),
    path("", include("profiles.urls")),
    path("", include("governance.urls")),
    path("api/v1/", include("mdm.api_urls")),
    re_path(r"^api/", api.api_not_found),  # any other URL under /api/: a JSON 404
    path("audit/", include("audit.urls")),
    # The login page with the login throttle (audit app), logout and password change. No password
    # reset pages: they need outgoing mail, and accounts are managed by administrators.
    path("accounts/login/", audit_views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
]

# Under /api/ errors are JSON ({"detail": ...}); elsewhere Django's pages.
handler400 = "mdm.api.bad_request_handler"
handler403 = "mdm.api.permission_denied_handler"
handler404 = "mdm.api.not_found_handler"
handler500 = "mdm.api.server_error_handler"
