"""Writes of the access app: issuing and revoking tokens, storing idempotent responses."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.choices import TokenScope
from access.constants import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    KEY_PREFIX_LENGTH,
    LAST_USED_RESOLUTION_SECONDS,
    TOKEN_PREFIX,
    TOKEN_RANDOM_BYTES,
)
from access.models import ApiToken, IdempotentRequest
from audit.choices import AuditAction
from audit.services import audit_record
from connectors.models import SourceSystem

logger = logging.getLogger(__name__)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored in place of the token (tokens are random, so no salt)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def api_token_issue(*, name: str, scope: str, source: SourceSystem | None = None, actor: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its plain text, which is never stored and shown once."""
    if scope not in TokenScope.values:
        raise ValidationError({"scope": f"scope must be one of {', '.join(TokenScope.values)}, not {scope!r}"})
    if source is not None and scope != TokenScope.WRITE:
        raise ValidationError({"source": "only a write token can be bound to a source"})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "a token needs a name"})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
    token = ApiToken(
        name=name,
        key_prefix=plain[:KEY_PREFIX_LENGTH],
        key_hash=token_hash(plain),
        scope=scope,
        source=source,
        created_by=actor[:150],
    )
    token.full_clean()
    with transaction.atomic():
        token.save()
        audit_record(
            actor=actor,
            action=AuditAction.TOKEN_ISSUED,
            target=token,
            params={"name": name, "scope": scope, "source": source.code if source else None},
        )
    logger.info("API token %s issued by %s (scope %s)", token.pk, actor, scope)
    return token, plain


def api_token_revoke(*, token: ApiToken, actor: str) -> ApiToken:
    """Revoke a token for good; revoking twice keeps the first time."""
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action=AuditAction.TOKEN_REVOKED, target=token, params={"name": token.name})
            logger.info("API token %s revoked by %s", token.pk, actor)
    return token


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record that the token was used, at most once a minute so that reads stay cheap."""
    now = now or timezone.now()
    if token.last_used_at and (now - token.last_used_at).total_seconds() < LAST_USED_RESOLUTION_SECONDS:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


class IdempotencyConflict(Exception):
    """The idempotency key was already used by this token for a different request."""


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    """SHA-256 of what makes two requests the same: method, path and body."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _check_key(key: str) -> None:
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationError(f"Idempotency-Key must have 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters")


def idempotent_response_get(*, token: ApiToken, key: str, fingerprint: str) -> tuple[int, object] | None:
    """The stored (status, body) of an earlier request with this key, or None when new.

    Raises IdempotencyConflict when the key was used with a different request."""
    _check_key(key)
    stored = IdempotentRequest.objects.filter(token=token, key=key).first()
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        raise IdempotencyConflict(f"Idempotency-Key {key!r} was already used with a different request")
    return stored.status_code, stored.response


def idempotent_response_store(*, token: ApiToken, key: str, fingerprint: str, status: int, body: object) -> None:
    """Keep the response for replays; when a concurrent request stored one first, that one stays."""
    _check_key(key)
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(
                token=token, key=key, fingerprint=fingerprint, status_code=status, response=body
            )
    except IntegrityError:
        logger.info("idempotency key %r of token %s stored concurrently; keeping the first", key, token.pk)


def idempotent_requests_prune(*, older_than: timedelta = timedelta(days=7)) -> int:
    """Forget stored responses older than the replay window; returns how many were removed."""
    with transaction.atomic():
        deleted, _ = IdempotentRequest.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
