"""Scopes: what a token (or a logged-in user, by role) may do with an API view."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from access.choices import TokenScope
from access.constants import ALL_SCOPES, SCOPE_GRANTS
from access.models import ApiToken
from profiles.roles import ADMIN, STEWARD, VIEWER

# Logged-in users on the pages may call the API with their session: scopes by role.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    VIEWER: SCOPE_GRANTS[TokenScope.READ],
    STEWARD: SCOPE_GRANTS[TokenScope.STEWARD],
    ADMIN: ALL_SCOPES,
}
DEFAULT_REQUIRED_SCOPE = TokenScope.READ
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def request_scopes(request: Request) -> frozenset[str]:
    """The scopes of whoever made the request: the token's, or the union of the user's roles."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return token.scopes
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(request, "_mdm_scopes", None)
    if cached is not None:
        return cached
    if user.is_superuser:  # type: ignore[union-attr]
        scopes = ALL_SCOPES
    else:
        scopes = frozenset().union(
            *(ROLE_SCOPES.get(name, frozenset()) for name in user.groups.values_list("name", flat=True))  # type: ignore[union-attr]
        )
    request._mdm_scopes = scopes  # type: ignore[attr-defined]
    return scopes


def required_scope_for(view: object, method: str) -> str:
    """The scope a view needs for a method: `required_scope` is a scope or a dict by method.

    In a dict, HEAD and OPTIONS follow GET; an unlisted unsafe method needs `write`."""
    required = getattr(view, "required_scope", DEFAULT_REQUIRED_SCOPE)
    if not isinstance(required, dict):
        return required
    method = method.upper()
    if method in required:
        return required[method]
    if method in SAFE_METHODS:
        return required.get("GET", DEFAULT_REQUIRED_SCOPE)
    return TokenScope.WRITE


class ScopePermission(BasePermission):
    """Requires the view's `required_scope`; no credentials answer 401, too weak a scope 403."""

    message = "This token's scope does not allow this request."

    def has_permission(self, request: Request, view: object) -> bool:
        scope = required_scope_for(view, request.method or "GET")
        if not (isinstance(request.auth, ApiToken) or getattr(request.user, "is_authenticated", False)):
            return False  # DRF answers 401 (NotAuthenticated) as no authenticator succeeded
        self.message = f"This request needs the '{scope}' scope."
        return scope in request_scopes(request)


def token_source_allowed(request: Request, source: object) -> bool:
    """False when the request's token is bound to a source other than `source` (a SourceSystem
    or its code); users and unbound tokens may write any source their scope allows."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken) or token.source_id is None:
        return True
    if isinstance(source, str):
        return token.source is not None and token.source.code == source
    return token.source_id == getattr(source, "pk", None)
