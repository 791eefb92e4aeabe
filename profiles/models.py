"""Golden records: one unified profile per real customer."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from profiles.choices import (
    ConstraintKind,
    CustomerEventKind,
    CustomerStatus,
    Decision,
    ModelKind,
    PairStatus,
    RunMode,
    RunStatus,
)


class Customer(models.Model):
    """A golden record. Its id is what other systems store, so it stays stable; a retired id
    points at the record it was merged into."""

    status = models.CharField(max_length=20, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from")
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    full_name = models.CharField(max_length=400, blank=True)
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=CustomerStatus.ACTIVE, merged_into__isnull=True)
                | Q(status=CustomerStatus.RETIRED, merged_into__isnull=False),
                name="customer_retired_iff_redirected",
            ),
        ]

    def __str__(self) -> str:
        return f"Customer {self.pk}: {self.full_name or '(no name)'}"

    def get_absolute_url(self) -> str:
        return reverse("customer-detail", args=[self.pk])


class MatchModel(models.Model):
    """A versioned scoring model: the Fellegi–Sunter parameters or supervised coefficients in use."""

    kind = models.CharField(max_length=20, choices=ModelKind.choices)
    parameters = models.JSONField()
    metrics = models.JSONField(default=dict, blank=True)
    trained_on = models.PositiveIntegerField(default=0, help_text="pairs (EM) or decisions (supervised)")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_match_model"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.pk}"


class MatchRun(models.Model):
    """One execution of identity resolution, with its progress and figures."""

    mode = models.CharField(max_length=20, choices=RunMode.choices, default=RunMode.INCREMENTAL)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    is_active = models.BooleanField(default=True, help_text="queued or running; at most one at a time")
    actor = models.CharField(max_length=150)
    stage = models.CharField(max_length=50, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent")
    model = models.ForeignKey(MatchModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    records = models.PositiveIntegerField(default=0)
    candidate_pairs = models.PositiveBigIntegerField(default=0)
    auto_linked = models.PositiveIntegerField(default=0)
    to_review = models.PositiveIntegerField(default=0)
    golden_records = models.PositiveIntegerField(default=0)
    created_customers = models.PositiveIntegerField(default=0)
    merged_customers = models.PositiveIntegerField(default=0)
    split_customers = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    figures = models.JSONField(default=dict, blank=True, help_text="score histogram and quality figures")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_match_run"),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} run {self.pk} ({self.status})"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return round((self.finished_at - self.started_at).total_seconds(), 3)
        return None

    def summary(self) -> dict[str, object]:
        """The figures `resolve` prints (SPEC §3)."""
        return {
            "run": self.pk,
            "status": self.status,
            "records": self.records,
            "candidate_pairs": self.candidate_pairs,
            "auto_linked": self.auto_linked,
            "to_review": self.to_review,
            "golden_records": self.golden_records,
            "created": self.created_customers,
            "merged": self.merged_customers,
            "split": self.split_customers,
            "seconds": self.seconds,
        }


class MatchPair(models.Model):
    """A scored candidate pair kept as evidence (auto-linked) or for a steward (review band).

    `record_a` always has the lower id, so a pair is stored once.
    """

    record_a = models.ForeignKey("connectors.SourceRecord", on_delete=models.CASCADE, related_name="+")
    record_b = models.ForeignKey("connectors.SourceRecord", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField()
    match_weight = models.FloatField(help_text="sum of the per-field log2 Bayes factors")
    weights = models.JSONField(default=dict, help_text="field -> log2 Bayes factor, to explain the score")
    contrary = models.BooleanField(default=False, help_text="strong contrary evidence (household/twin rule)")
    status = models.CharField(max_length=20, choices=PairStatus.choices)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey(MatchRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="pairs")
    model = models.ForeignKey(MatchModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record_a", "record_b"], name="unique_match_pair"),
            models.CheckConstraint(condition=Q(record_a__lt=F("record_b")), name="match_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-probability"], name="pair_status_prob")]

    def __str__(self) -> str:
        return f"pair {self.record_a_id}-{self.record_b_id} p={self.probability:.3f}"


class LinkConstraint(models.Model):
    """A steward's must-link or cannot-link between two source records; matching respects it forever."""

    record_a = models.ForeignKey("connectors.SourceRecord", on_delete=models.CASCADE, related_name="+")
    record_b = models.ForeignKey("connectors.SourceRecord", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ConstraintKind.choices)
    actor = models.CharField(max_length=150)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["record_a", "record_b"], name="unique_link_constraint"),
            models.CheckConstraint(condition=Q(record_a__lt=F("record_b")), name="link_constraint_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_a_id}-{self.record_b_id}"


class CustomerEvent(models.Model):
    """Append-only history of a golden record: created, merged, split… with the evidence."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=CustomerEventKind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=150)
    run = models.ForeignKey(MatchRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="customer_event_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id}"


class ResolutionSettings(models.Model):
    """Thresholds of identity resolution, editable by admins; one row (pk 1)."""

    auto_link_threshold = models.FloatField(
        default=0.95, help_text="match probability at or above which records are linked without review"
    )
    review_threshold = models.FloatField(
        default=0.5, help_text="match probability at or above which a pair goes to the review queue"
    )
    min_decisions_for_supervised = models.PositiveIntegerField(
        default=200, help_text="steward decisions needed before a supervised model may be trained"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "resolution settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(review_threshold__gte=0)
                & Q(auto_link_threshold__lte=1)
                & Q(review_threshold__lte=F("auto_link_threshold")),
                name="thresholds_ordered_within_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"auto-link ≥ {self.auto_link_threshold}, review ≥ {self.review_threshold}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not 0 <= self.review_threshold <= self.auto_link_threshold <= 1:
            raise ValidationError("thresholds must satisfy 0 ≤ review ≤ auto-link ≤ 1")

    @classmethod
    def current(cls) -> ResolutionSettings:
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings
