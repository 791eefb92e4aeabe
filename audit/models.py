"""Audit trail models: one append-only table of security-relevant actions.

Decisions, merges, splits and pins are already recorded as `profiles.CustomerEvent`, and catalog
changes as `governance.ObjectChange`; the audit page searches those where they are instead of
copying them. `AuditEntry` holds what has no other home: logins, failed logins, logouts,
throttled logins, exports, token creation, purges of the trail itself.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """An audit entry cannot be changed or deleted (except by `audit_purge`, past retention)."""


class AuditEntryQuerySet(models.QuerySet):
    """Refuses bulk updates and deletes: the only way out is `audit_purge` past retention."""

    def update(self, **kwargs: object) -> int:
        raise AppendOnlyError("audit entries are append-only: they cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries are append-only: only `manage.py audit_purge` removes old ones")

    def _purge(self) -> int:
        """Delete these rows; for `audit.services.audit_purge` only."""
        return models.QuerySet.delete(self)[0]


class AuditEntry(models.Model):
    """One security-relevant action: who (actor), what (action), on what (target), from where (ip)."""

    time = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, help_text="a user name, cli:<login>, task:<name> or token:<name>")
    action = models.CharField(max_length=50, help_text="dotted verb, e.g. auth.login, export.xrefs")
    target_type = models.CharField(max_length=100, blank=True, help_text="app_label.model, or a kind of thing")
    target_id = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-time", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["action", "target_id", "time"], name="audit_action_target_time"),
            models.Index(fields=["action", "ip", "time"], name="audit_action_ip_time"),
            models.Index(fields=["actor", "time"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        target = f" {self.target_type}:{self.target_id}" if self.target_type or self.target_id else ""
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.actor} {self.action}{target}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries are append-only: they cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit entries are append-only: only `manage.py audit_purge` removes old ones")
