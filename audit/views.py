"""The audit page (admins): search every append-only history; the login page with its throttle."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.choices import AuditAction
from audit.forms import AuditSearchForm
from audit.selectors import COLUMNS, ORIGINS, AuditTrail
from audit.services import audit_record, client_ip
from audit.throttling import login_throttle_get
from profiles.roles import ADMIN, user_has_role

PAGE_SIZE = 50


def audit_trail_view(request: HttpRequest) -> HttpResponse:
    """Search logins, exports, tokens, decisions, merges, splits, pins, rule and catalog changes."""
    if not user_has_role(request.user, ADMIN):
        raise PermissionDenied("the audit trail needs the admin role")
    form = AuditSearchForm(request.GET or None)
    filters = form.to_filter()
    page = Paginator(AuditTrail(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "origins": ORIGINS, "query": query.urlencode()}
    return render(request, "audit/trail.html", context)


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view that refuses (429, with why and for how long) while too many recent
    logins failed for the user name or the address; the check runs before the password is."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        username = str(request.POST.get("username", ""))[:150]
        throttle = login_throttle_get(username=username, ip=client_ip(request))
        if throttle is None:
            return super().post(request, *args, **kwargs)
        audit_record(
            actor="anonymous",
            action=AuditAction.LOGIN_THROTTLED,
            target=("auth.user", username),
            params={"reason": throttle.reason, "path": request.path},
            request=request,
        )
        response = render(request, "audit/login_throttled.html", {"message": throttle.message}, status=429)
        response["Retry-After"] = str(throttle.retry_after)
        return response
