"""Rate limits per API token (or per user for sessions, per address otherwise)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from access.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """One bucket per token; the rate is `DEFAULT_THROTTLE_RATES["token"]` (read when used, so a
    settings change takes effect without a restart of the class)."""

    scope = "token"

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: object) -> str:
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken):
            ident = f"token-{token.pk}"
        elif getattr(request.user, "is_authenticated", False):
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
