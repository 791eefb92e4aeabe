"""The integration catalog: how each source is connected, who owns it, what it carries, and how
it behaves against its policies.

Relations use Backstage's vocabulary where they fit: an integration is *owned by* a team, is
*part of* data domains, and *provides* records to the MDM (inbound) or *consumes* golden records
from it (outbound).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from governance.choices import (
    ChangeAction,
    GovernanceEventType,
    IntegrationDirection,
    IntegrationPattern,
    Lifecycle,
    Severity,
)


class Team(models.Model):
    """A team that owns integrations (Backstage's `owner`, a group)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug


class DataDomain(models.Model):
    """A business data domain an integration is part of (Backstage's `Domain`), e.g. customer."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug


class Integration(models.Model):
    """How one source system is connected to the MDM, as declared in the catalog."""

    source = models.OneToOneField("connectors.SourceSystem", on_delete=models.CASCADE, related_name="integration")
    pattern = models.CharField(max_length=20, choices=IntegrationPattern.choices)
    direction = models.CharField(
        max_length=20, choices=IntegrationDirection.choices, default=IntegrationDirection.INBOUND
    )
    cadence = models.DurationField(help_text="the longest expected gap between syncs")
    owner = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="integrations")
    steward = models.CharField(max_length=254, blank=True)
    domains = models.ManyToManyField(DataDomain, blank=True, related_name="integrations")
    classification = models.JSONField(default=list, blank=True, help_text="e.g. pii, financial, consent")
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.PRODUCTION)
    protocol = models.CharField(max_length=50, blank=True, help_text="e.g. https, sftp, kafka")
    endpoint = models.CharField(max_length=500, blank=True, help_text="where the data is exchanged")
    docs_url = models.URLField(max_length=500, blank=True, verbose_name="documentation link")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source__code"]
        constraints = [
            models.CheckConstraint(condition=Q(cadence__gt=timedelta(0)), name="integration_cadence_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} ({self.pattern})"

    def get_absolute_url(self) -> str:
        return reverse("integration-detail", args=[self.source.code])

    def clean(self) -> None:
        if self.cadence is not None and self.cadence <= timedelta(0):
            raise ValidationError({"cadence": "the cadence must be longer than zero"})
        if not isinstance(self.classification, list) or not all(isinstance(c, str) for c in self.classification):
            raise ValidationError({"classification": "must be a list of labels such as pii"})


class ObjectChange(models.Model):
    """One change to registry data, with who made it, when, and the object before and after.

    Modelled on NetBox's ObjectChange: full snapshots are kept so that the field-level diff can
    always be shown, including of fields added later. Changes made by background tasks carry
    the task as their actor.
    """

    time = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150, help_text="a user name, cli:<login> or task:<name>")
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="objectchange_object")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr} by {self.actor}"

    def diff(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs, in field order.

        A map-valued field on both sides (a source's mapping) is compared key by key, so that
        one remapped attribute shows as `mapping.email`, not as two whole mappings.
        """
        model = self.content_type.model_class()
        order = [f.name for f in model._meta.concrete_fields + model._meta.many_to_many] if model else []
        return _diff(
            self.before or {}, self.after or {}, order=order, nested=self.before is not None and self.after is not None
        )


def _diff(
    before: dict, after: dict, *, order: list[str], nested: bool, prefix: str = ""
) -> list[tuple[str, object, object]]:
    """Changed keys in the model's field order, others sorted (JSON columns need not keep key order)."""
    changes: list[tuple[str, object, object]] = []
    keys = {*after, *before}
    for name in [n for n in order if n in keys] + sorted(keys.difference(order)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if nested and not prefix and isinstance(old, dict) and isinstance(new, dict):
            changes.extend(_diff(old, new, order=[], nested=True, prefix=f"{name}."))
        else:
            changes.append((f"{prefix}{name}", old, new))
    return changes


class PolicyRule(models.Model):
    """An administrator's switch for one policy rule declared in code (`governance/rules.py`)."""

    code = models.SlugField(max_length=50, unique=True)
    enabled = models.BooleanField(default=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        from governance.rules import RULES

        if self.code not in RULES:
            raise ValidationError({"code": f"no rule {self.code!r} is declared (known: {', '.join(RULES)})"})

    @property
    def title(self) -> str:
        from governance.rules import RULES

        rule = RULES.get(self.code)
        return rule.title if rule else self.code


class Finding(models.Model):
    """A policy or SLA violation raised by governance, open until the condition clears.

    Re-evaluation never opens a second finding for the same rule and source while one is open
    (a partial unique constraint); a finding that clears is resolved and kept, and a later
    violation opens a new one.
    """

    rule = models.ForeignKey(PolicyRule, on_delete=models.PROTECT, related_name="findings")
    source = models.ForeignKey("connectors.SourceSystem", on_delete=models.CASCADE, related_name="findings")
    owner = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message = models.TextField()
    opened_at = models.DateTimeField()
    checked_at = models.DateTimeField(help_text="when an evaluation last saw the violation")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "source"], condition=Q(resolved_at__isnull=True), name="one_open_finding_per_rule"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="finding_resolved_after_opened",
            ),
        ]
        indexes = [models.Index(fields=["source", "resolved_at"], name="finding_source_open")]

    def __str__(self) -> str:
        return f"{self.rule.code} on {self.source.code}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def age(self, now: datetime | None = None) -> timedelta:
        """How long the finding has been (or was) open."""
        return (self.resolved_at or now or timezone.now()) - self.opened_at


class GovernanceEvent(models.Model):
    """Append-only business facts of governance that are not field diffs: findings opened
    (an SLA breached, a policy violated) and resolved, with the actor that saw it."""

    type = models.CharField(max_length=30, choices=GovernanceEventType.choices)
    time = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=150)
    source = models.ForeignKey("connectors.SourceSystem", on_delete=models.CASCADE, related_name="+")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self) -> str:
        return f"{self.get_type_display()} on {self.source_id} at {self.time:%Y-%m-%d %H:%M}"
