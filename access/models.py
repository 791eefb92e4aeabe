"""API access: hashed, scoped tokens and the responses stored for idempotent replays."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from access.choices import TokenScope
from access.constants import ALL_SCOPES, IDEMPOTENCY_KEY_MAX_LENGTH, SCOPE_GRANTS


class ApiToken(models.Model):
    """A token another system presents as `Authorization: Token <token>`.

    Only the SHA-256 of the token is stored (the token is shown once, when issued), so a copy of
    the database does not leak usable credentials. A `write` token may be bound to one source:
    it can then write that source's records only."""

    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=8, help_text="first characters of the token, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 (hex) of the token")
    scope = models.CharField(max_length=10, choices=TokenScope.choices)
    source = models.ForeignKey(
        "connectors.SourceSystem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="a write token bound to this source writes only its records",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=Q(source__isnull=True) | Q(scope=TokenScope.WRITE), name="api_token_source_only_for_write"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scope}, {self.key_prefix}…)"

    def clean(self) -> None:
        if self.source_id and self.scope != TokenScope.WRITE:
            raise ValidationError({"source": "only a write token can be bound to a source"})

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scopes(self) -> frozenset[str]:
        """Every scope this token grants (write and steward imply read)."""
        return SCOPE_GRANTS.get(self.scope, frozenset()) if self.scope in ALL_SCOPES else frozenset()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotentRequest(models.Model):
    """The response to a request sent with an `Idempotency-Key`, replayed when the same token
    sends the same key again; the fingerprint of the body tells a replay from a reused key."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotent_requests")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request (method, path, body)")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="unique_idempotency_key_per_token")]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_created")]

    def __str__(self) -> str:
        return f"{self.key} → {self.status_code}"
