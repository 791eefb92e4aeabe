"""Source systems and what they send: source records, import batches, quarantine, activities."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from connectors.choices import (
    ActivityKind,
    BatchKind,
    BatchStatus,
    SourceKind,
    WebhookDeliveryStatus,
    WebhookEventType,
)


class SourceSystem(models.Model):
    """A system that holds customer data, and how its fields map onto the canonical model.

    `mapping` is stored normalised: canonical attribute -> {"field": column, "format": strptime
    format or null}.
    """

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    trust = models.FloatField(default=0.5, help_text="0..1, used by survivorship")
    default_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    id_field = models.CharField(max_length=200)
    updated_at_field = models.CharField(max_length=200, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    # How the MDM pulls from, or hears from, the source (the catalog's `connector:` block, validated);
    # secrets are never here, only the names of the environment variables holding them.
    connector = models.JSONField(default=dict, blank=True)
    sync_watermark = models.CharField(
        max_length=500, blank=True, help_text="how far pulls have read: the greatest updated-at or id seen"
    )
    sync_failures = models.PositiveIntegerField(default=0, help_text="consecutive failed syncs; each doubles the wait")
    sync_due_at = models.DateTimeField(null=True, blank=True, help_text="when the next scheduled sync is due")
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(trust__gte=0) & Q(trust__lte=1), name="source_trust_between_0_and_1"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("source-detail", args=[self.code])

    def field_for(self, attribute: str) -> str | None:
        """The source column mapped onto a canonical attribute, if any."""
        spec = self.mapping.get(attribute)
        return spec["field"] if spec else None


class ImportBatch(models.Model):
    """One file (or later, one pull or event batch) brought into the MDM, with its counts."""

    source = models.ForeignKey(SourceSystem, on_delete=models.CASCADE, related_name="batches", null=True, blank=True)
    kind = models.CharField(max_length=20, choices=BatchKind.choices, default=BatchKind.RECORDS)
    status = models.CharField(max_length=20, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    actor = models.CharField(max_length=150, help_text="who started it: a user name or cli:<login>")
    file_name = models.CharField(max_length=500, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    stale = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0, help_text="rows whose id appeared earlier in the file")
    with_issues = models.PositiveIntegerField(default=0, help_text="accepted rows with invalid attribute values")
    error = models.TextField(blank=True)
    watermark_before = models.CharField(max_length=500, blank=True, help_text="pulls: where this run started")
    watermark_after = models.CharField(max_length=500, blank=True, help_text="pulls: where the next run starts")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.kind} batch {self.pk} ({self.file_name})"

    def get_absolute_url(self) -> str:
        return reverse("batch-detail", args=[self.pk])

    def counts(self) -> dict[str, int]:
        """The summary printed by the import commands (SPEC §3)."""
        return {
            "rows": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "stale": self.stale,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "with_issues": self.with_issues,
        }


class QuarantinedRow(models.Model):
    """A row that could not be accepted, kept verbatim with why, so nothing is lost."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="quarantined_rows")
    line_number = models.PositiveIntegerField()
    raw_text = models.TextField()
    reasons = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["batch", "line_number", "id"]

    def __str__(self) -> str:
        return f"batch {self.batch_id} line {self.line_number}"


class SourceRecord(models.Model):
    """One customer record as a source holds it: raw payload plus standardised canonical columns."""

    # No index of its own: the unique (source, external_id) constraint's index serves it.
    source = models.ForeignKey(SourceSystem, on_delete=models.PROTECT, related_name="records", db_index=False)
    external_id = models.CharField(max_length=255, help_text="the source's own id for the record")
    raw = models.JSONField(default=dict)

    # Canonical attributes, standardised.
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    full_name = models.CharField(max_length=400, blank=True)
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    street = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    state = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    company = models.CharField(max_length=300, blank=True)
    national_id = models.CharField(max_length=64, blank=True)

    # Match keys: normalised values for blocking and comparison.
    email_key = models.CharField(max_length=320, blank=True)
    phone_key = models.CharField(max_length=32, blank=True)
    given_key = models.CharField(max_length=200, blank=True)
    family_key = models.CharField(max_length=200, blank=True)
    given_phonetic = models.CharField(max_length=50, blank=True)
    family_phonetic = models.CharField(max_length=50, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    postcode_key = models.CharField(max_length=20, blank=True)
    street_key = models.CharField(max_length=300, blank=True)
    company_key = models.CharField(max_length=300, blank=True)
    national_id_key = models.CharField(max_length=64, blank=True)

    quality_issues = models.JSONField(
        default=dict, blank=True, help_text="canonical attribute -> why its raw value was rejected"
    )
    source_updated_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)
    is_deleted = models.BooleanField(default=False)
    pending_resolution = models.BooleanField(
        default=True, help_text="new or changed since identity resolution last saw it"
    )
    last_batch = models.ForeignKey(
        ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    customer = models.ForeignKey(
        "profiles.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_records",
        help_text="the golden record this source record is linked to (its xref)",
    )

    class Meta:
        ordering = ["source", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="unique_source_record"),
        ]
        indexes = [
            models.Index(fields=["email_key"], name="sr_email_key"),
            models.Index(fields=["phone_key"], name="sr_phone_key"),
            models.Index(fields=["national_id_key"], name="sr_national_id_key"),
            models.Index(fields=["family_phonetic", "birth_year"], name="sr_family_phon_year"),
            models.Index(fields=["family_key", "given_key"], name="sr_family_given"),
            models.Index(fields=["postcode_key", "family_phonetic"], name="sr_postcode_family"),
            models.Index(fields=["id"], condition=Q(pending_resolution=True), name="sr_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code}/{self.external_id}"


class Activity(models.Model):
    """Something a customer did in a source system (order, ticket, usage…), for the timeline."""

    source_record = models.ForeignKey(SourceRecord, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    fingerprint = models.CharField(
        max_length=64, unique=True, help_text="hash of the row, so that re-importing adds nothing"
    )
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["source_record", "-occurred_at"], name="activity_record_time")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%Y-%m-%d}"


# Outbound delivery: webhook subscriptions of golden-record change events (event-driven sync).


def webhook_default_max_attempts() -> int:
    from django.conf import settings

    return int(getattr(settings, "MDM_WEBHOOK_MAX_ATTEMPTS", 8))


class WebhookSubscription(models.Model):
    """A system that wants golden-record change events POSTed to `url`, signed with `secret`.

    `source` names the source system the subscriber syncs into: a change caused by that
    source's own write is not sent back to it (loop prevention). `event_types` empty = all.
    """

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=1000, help_text="http(s) endpoint receiving the POSTs")
    event_types = models.JSONField(
        default=list, blank=True, help_text="subset of created, updated, merged, split, deleted; empty = all"
    )
    secret = models.CharField(max_length=200, help_text="HMAC-SHA256 key of X-MDM-Signature")
    source = models.ForeignKey(
        SourceSystem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        help_text="the source system this subscription syncs into; its own changes are not echoed back",
    )
    active = models.BooleanField(default=True)
    max_attempts = models.PositiveSmallIntegerField(
        default=webhook_default_max_attempts, help_text="attempts before a delivery is dead"
    )
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A lease instead of a long row lock: the worker holding it sends this subscription's
    # deliveries one by one, in sequence order, while nobody else may (see services/webhooks.py).
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1) & Q(max_attempts__lte=50), name="webhook_max_attempts_1_to_50"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webhook-detail", args=[self.pk])

    def clean(self) -> None:
        if not isinstance(self.event_types, list) or any(t not in WebhookEventType.values for t in self.event_types):
            choices = ", ".join(WebhookEventType.values)
            raise ValidationError({"event_types": f"each event type must be one of {choices}"})
        if not self.url.lower().startswith(("http://", "https://")):
            raise ValidationError({"url": "the url must start with http:// or https://"})

    def wants(self, event_type: str, origin_source: str = "") -> bool:
        """True when an event of this type, caused by `origin_source`, is for this subscriber."""
        if self.event_types and event_type not in self.event_types:
            return False
        return not (origin_source and self.source is not None and self.source.code == origin_source)

    @property
    def event_types_display(self) -> str:
        return ", ".join(self.event_types) if self.event_types else "all"


class WebhookDelivery(models.Model):
    """One change event for one subscription: its payload, and the state of sending it.

    Sent in `sequence` order per subscription; a pending or failed (retrying) delivery holds
    back the later ones of its subscription, a dead one no longer does.
    """

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    sequence = models.BigIntegerField(help_text="the change log's sequence of the event")
    event_type = models.CharField(max_length=20, choices=WebhookEventType.choices)
    payload = models.JSONField(default=dict, help_text="the event, without the delivery id")
    status = models.CharField(
        max_length=20, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subscription", "-sequence", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "sequence"], name="unique_webhook_delivery"),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "sequence"],
                condition=Q(status__in=["pending", "failed"]),
                name="webhook_delivery_open",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "failed"]),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} #{self.sequence} {self.event_type} → {self.subscription_id}"

    @property
    def can_redeliver(self) -> bool:
        return self.status in (WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.DEAD)


class SourceEvent(models.Model):
    """A change event a source sent (connector kind `events`), kept so that a replay of its id is refused."""

    source = models.ForeignKey(SourceSystem, on_delete=models.CASCADE, related_name="events", db_index=False)
    event_id = models.CharField(max_length=255)
    action = models.CharField(max_length=20)
    external_id = models.CharField(max_length=255, help_text="the source's id of the record the event is about")
    occurred_at = models.DateTimeField(help_text="the source's timestamp of the change")
    outcome = models.CharField(max_length=20, help_text="created, updated, unchanged, stale, deleted or rejected")
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="unique_source_event")]

    def __str__(self) -> str:
        return f"{self.source_id}/{self.event_id} {self.action}"
