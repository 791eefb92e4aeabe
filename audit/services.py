"""Writes of the audit trail: record an action, purge entries past retention."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEntry

DEFAULT_RETENTION_DAYS = 365


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: the peer Django saw, or, behind a reverse proxy, the header that
    proxy sets (`MDM_CLIENT_IP_HEADER`, e.g. HTTP_X_REAL_IP). X-Forwarded-For is never trusted
    by default: a client can set it."""
    if request is None:
        return None
    header = getattr(settings, "MDM_CLIENT_IP_HEADER", "") or "REMOTE_ADDR"
    address = (request.META.get(header) or request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _actor_name(actor: object, request: HttpRequest | None) -> str:
    if isinstance(actor, str) and actor:
        return actor[:150]
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.get_username()[:150]
    return "anonymous"


def _target(target: object) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    if isinstance(target, tuple) and len(target) == 2:
        return str(target[0])[:100], str(target[1])[:200]
    return "", str(target)[:200]


def audit_record(
    *,
    actor: object,
    action: str,
    target: object = None,
    params: dict[str, object] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry to the audit trail.

    `actor` is a user, a name (`cli:<login>`, `task:<name>`, `token:<name>`) or None for the
    request's user; `target` a model instance, a `(type, id)` pair or an id. Runs in the caller's
    transaction when there is one, so an action rolled back leaves no entry claiming it happened.
    """
    target_type, target_id = _target(target)
    with transaction.atomic():
        return AuditEntry.objects.create(
            actor=_actor_name(actor, request),
            action=action[:50],
            target_type=target_type,
            target_id=target_id,
            parameters=params or {},
            ip=client_ip(request),
        )


def audit_retention_days() -> int:
    """Days audit entries are kept (`MDM_AUDIT_RETENTION_DAYS`)."""
    return int(getattr(settings, "MDM_AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def audit_purge(*, actor: str, now: datetime | None = None, dry_run: bool = False) -> dict[str, object]:
    """Delete the entries older than the retention period: the one deletion path of the trail,
    itself audited. Returns the cutoff and how many entries went (or would go)."""
    days = audit_retention_days()
    if days < 1:
        raise ValueError("MDM_AUDIT_RETENTION_DAYS must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        old = AuditEntry.objects.filter(time__lt=cutoff)
        if dry_run:
            return {"cutoff": cutoff.isoformat(), "retention_days": days, "purged": 0, "would_purge": old.count()}
        if connection.vendor == "postgresql":
            # The append-only trigger lets deletes through only with this flag, for this transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL mdm.audit_purge = 'on'")
        purged = old._purge()
        audit_record(
            actor=actor,
            action=AuditAction.AUDIT_PURGED,
            params={"cutoff": cutoff.isoformat(), "retention_days": days, "purged": purged},
        )
    return {"cutoff": cutoff.isoformat(), "retention_days": days, "purged": purged}
