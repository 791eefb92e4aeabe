"""What every API view shares: the error format, cursor pagination, JSON error pages under
`/api/`, and marking API routes as authenticated by the API itself rather than by the login
page (pages require a login through Django's LoginRequiredMiddleware; API clients send tokens).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, URLPattern, URLResolver, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView, exception_handler

API_PREFIX = "/api/"
NON_FIELD_ERRORS = "non_field_errors"


def _flatten(messages: object) -> str:
    if isinstance(messages, list | tuple):
        return " ".join(_flatten(m) for m in messages)
    if isinstance(messages, dict):
        return " ".join(f"{key}: {_flatten(value)}" for key, value in messages.items())
    return str(messages)


def api_exception_handler(exc: Exception, context: dict[str, object]) -> Response | None:
    """One error format for every API error: `{"detail": "..."}`, or field errors
    `{"field": ["message", ...]}`. Django's ValidationError (raised by services) is a 400."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a 500, answered by `server_error_handler`
    data = response.data
    if isinstance(data, list | tuple | str):
        response.data = {"detail": _flatten(data)}
    elif isinstance(data, dict) and set(data) == {NON_FIELD_ERRORS}:
        response.data = {"detail": _flatten(data[NON_FIELD_ERRORS])}
    return response


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination by id (stable under inserts); `limit` sets the page size (≤ 1000).
    A cursor that cannot be decoded is a 400 naming the parameter, not a 404."""

    ordering = "id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 1000

    def decode_cursor(self, request: object) -> pagination.Cursor | None:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc


def api_actor(request: HttpRequest) -> str:
    """Who made an API request, for audit trails: `api:<token name>` or the user's name."""
    from access.models import ApiToken

    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return f"api:{token.name}"[:150]
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False):
        return user.get_username()[:150]  # type: ignore[union-attr]
    return "api:anonymous"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """Any unknown URL under `/api/`: a JSON 404 (with a hint when only the slash is missing)."""
    detail = f"No API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail += f" Did you mean {request.path}/ ?"
    return _json_error(detail, 404)


api_not_found.login_required = False  # type: ignore[attr-defined]


def not_found_handler(request: HttpRequest, exception: Exception) -> object:
    if is_api_request(request):
        return _json_error("Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error_handler(request: HttpRequest) -> object:
    if is_api_request(request):
        return _json_error("Server error: the failure was logged.", 500)
    return defaults.server_error(request)


def bad_request_handler(request: HttpRequest, exception: Exception) -> object:
    if is_api_request(request):
        return _json_error("Bad request.", 400)
    return defaults.bad_request(request, exception)


def permission_denied_handler(request: HttpRequest, exception: Exception) -> object:
    if is_api_request(request):
        return _json_error(str(exception) or "Permission denied.", 403)
    return defaults.permission_denied(request, exception)


def api_urlpatterns(patterns: Iterable[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """Mark every REST framework view in `patterns` (included ones too) as not needing the page
    login: the view authenticates tokens and sessions itself and answers 401/403 in JSON."""
    patterns = list(patterns)
    stack: list[URLPattern | URLResolver] = list(patterns)
    while stack:
        entry = stack.pop()
        if isinstance(entry, URLResolver):
            stack.extend(entry.url_patterns)
            continue
        view_class = getattr(entry.callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            entry.callback.login_required = False  # type: ignore[attr-defined]
    return patterns
