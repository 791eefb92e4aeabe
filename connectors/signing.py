"""The one signature scheme of the MDM's HTTP hooks, both ways: outbound webhooks sign with it and
inbound source events are verified with it, so a system that does one can do the other."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-MDM-Signature"
TIMESTAMP_HEADER = "X-MDM-Timestamp"


def body_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `{timestamp}.{body}`: the `X-MDM-Signature` value."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
