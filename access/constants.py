"""Constants of the access app."""

from access.choices import TokenScope

# Token text: a recognisable prefix (secret scanners, logs) followed by 240 random bits.
TOKEN_PREFIX = "mdm_"
TOKEN_RANDOM_BYTES = 30
KEY_PREFIX_LENGTH = 8
# What each scope grants: a stronger scope implies read.
SCOPE_GRANTS: dict[str, frozenset[str]] = {
    TokenScope.READ: frozenset({TokenScope.READ}),
    TokenScope.WRITE: frozenset({TokenScope.READ, TokenScope.WRITE}),
    TokenScope.STEWARD: frozenset({TokenScope.READ, TokenScope.STEWARD}),
}
ALL_SCOPES: frozenset[str] = frozenset(TokenScope.values)
# `last_used_at` is refreshed at most this often per token, so reads stay one query.
LAST_USED_RESOLUTION_SECONDS = 60
IDEMPOTENCY_KEY_MAX_LENGTH = 255
