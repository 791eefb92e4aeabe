"""Reads of the access app."""

from __future__ import annotations

from django.db.models import QuerySet

from access.models import ApiToken
from access.services import token_hash


def api_token_get_by_key(key: str) -> ApiToken | None:
    """The token whose plain text is `key` (revoked ones included: the caller says why it fails)."""
    return ApiToken.objects.filter(key_hash=token_hash(key)).first()


def api_token_list(*, include_revoked: bool = False) -> QuerySet[ApiToken]:
    tokens = ApiToken.objects.select_related("source").order_by("id")
    return tokens if include_revoked else tokens.filter(revoked_at__isnull=True)
