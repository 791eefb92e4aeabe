"""Source systems and what they send: source records, import batches, quarantine, activities."""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from connectors.choices import ActivityKind, BatchKind, BatchStatus, SourceKind


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
