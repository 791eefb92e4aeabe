"""Golden records: one unified profile per real customer."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from profiles import survivorship
from profiles.choices import (
    ChangeKind,
    ConstraintKind,
    CustomerEventKind,
    CustomerStatus,
    DecayCurve,
    Decision,
    ModelKind,
    PairStatus,
    RelationshipKind,
    RunMode,
    RunStatus,
    SurvivorshipStrategy,
    ValueRule,
)
from profiles.constants import GOLDEN_ATTRIBUTES, PINNABLE_ATTRIBUTES, RULE_ATTRIBUTES, RULE_LABELS


class Customer(models.Model):
    """A golden record. Its id is what other systems store, so it stays stable; a retired id
    points at the record it was merged into; a deleted one lost its last source record.

    The display columns (names, email, phone, date of birth) mirror the golden attributes that
    survivorship chose (`GoldenAttribute`), for search and lists."""

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
                condition=Q(status__in=[CustomerStatus.ACTIVE, CustomerStatus.DELETED], merged_into__isnull=True)
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
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_match_pairs",
        help_text="the steward this pair is assigned to for review",
    )
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


class MatchPairComment(models.Model):
    """A steward's note on a match pair, kept with the evidence (append-only)."""

    pair = models.ForeignKey(MatchPair, on_delete=models.CASCADE, related_name="comments")
    author = models.CharField(max_length=150)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment by {self.author} on pair {self.pair_id}"


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
    reverted_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="the undo of this action"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="customer_event_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id}"

    @property
    def is_undoable(self) -> bool:
        """A steward's merge or split that has not been undone yet."""
        parameters = self.parameters or {}
        return (
            bool(parameters.get("steward"))
            and parameters.get("action") in ("merge", "split")
            and not (self.reverted_by_id)
        )


class ResolutionSettings(models.Model):
    """Thresholds of identity resolution, editable by admins; one row (pk 1)."""

    auto_link_threshold = models.FloatField(
        default=0.8, help_text="match probability at or above which records are linked without review"
    )
    review_threshold = models.FloatField(
        default=0.4, help_text="match probability at or above which a pair goes to the review queue"
    )
    min_decisions_for_supervised = models.PositiveIntegerField(
        default=200, help_text="steward decisions needed before a supervised model may be trained"
    )
    retrain_after_decisions = models.PositiveIntegerField(
        default=100, help_text="retrain the supervised model after this many new decisions (0: only on demand)"
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


def _attribute_choices(names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, RULE_LABELS.get(name, name.replace("_", " "))) for name in names]


class SurvivorshipRule(models.Model):
    """How one canonical attribute's golden value is picked; one row per attribute (the address
    rule covers street, city, postcode and state, which survive together from one record)."""

    attribute = models.CharField(max_length=30, unique=True, choices=_attribute_choices(RULE_ATTRIBUTES))
    strategy = models.CharField(max_length=20, choices=SurvivorshipStrategy.choices)
    source_priority = models.JSONField(
        default=list, blank=True, help_text="source codes, most preferred first (source priority strategy)"
    )
    min_trust = models.FloatField(
        default=0.0, help_text="only sources at or above this trust compete, unless none of them has a value"
    )
    decay_days = models.PositiveIntegerField(
        default=730, help_text="trust decay: age in days at which a value keeps only the floor of its trust"
    )
    decay_floor = models.FloatField(default=0.5, help_text="trust decay: share of the trust left after the period")
    decay_curve = models.CharField(max_length=10, choices=DecayCurve.choices, default=DecayCurve.LINEAR)
    flag_conflicts = models.BooleanField(
        default=False, help_text="flag golden records whose linked records disagree on this attribute"
    )
    updated_by = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_trust__gte=0) & Q(min_trust__lte=1), name="rule_min_trust_between_0_and_1"
            ),
            models.CheckConstraint(
                condition=Q(decay_floor__gte=0) & Q(decay_floor__lte=1), name="rule_decay_floor_between_0_and_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_attribute_display()}: {self.get_strategy_display()}"

    def get_absolute_url(self) -> str:
        return reverse("rule-edit", args=[self.attribute])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        priority = self.source_priority
        if not isinstance(priority, list) or not all(isinstance(code, str) and code for code in priority):
            errors["source_priority"] = "a list of source codes"
        elif len(set(priority)) != len(priority):
            errors["source_priority"] = "each source may appear once"
        elif self.strategy == SurvivorshipStrategy.SOURCE_PRIORITY and not priority:
            errors["source_priority"] = "source priority needs at least one source"
        if not survivorship.is_fraction(self.min_trust):
            errors["min_trust"] = "a number between 0 and 1"
        if not survivorship.is_fraction(self.decay_floor):
            errors["decay_floor"] = "a number between 0 and 1"
        if self.strategy == SurvivorshipStrategy.TRUST_DECAY and not self.decay_days:
            errors["decay_days"] = "trust decay needs a period of at least one day"
        if errors:
            raise ValidationError(errors)

    def as_rule(self) -> survivorship.Rule:
        """The rule as the survivorship strategies take it."""
        return survivorship.Rule(
            strategy=self.strategy,
            source_priority=tuple(self.source_priority or ()),
            min_trust=self.min_trust,
            decay_days=float(self.decay_days),
            decay_floor=self.decay_floor,
            decay_curve=self.decay_curve,
            flag_conflicts=self.flag_conflicts,
        )

    def snapshot(self) -> dict[str, object]:
        """The editable settings, for the audit trail."""
        return {
            "strategy": self.strategy,
            "source_priority": list(self.source_priority or []),
            "min_trust": self.min_trust,
            "decay_days": self.decay_days,
            "decay_floor": self.decay_floor,
            "decay_curve": self.decay_curve,
            "flag_conflicts": self.flag_conflicts,
        }


class SurvivorshipRuleChange(models.Model):
    """Audit trail of survivorship rule edits: who, when, before and after."""

    rule = models.ForeignKey(SurvivorshipRule, on_delete=models.CASCADE, related_name="changes")
    actor = models.CharField(max_length=150)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.rule.attribute} changed by {self.actor}"


class GoldenAttribute(models.Model):
    """One golden value with its provenance: the source record and source that supplied it, the
    rule that chose it (and which part of the rule decided), and the values it won against."""

    # No index of its own on customer: the unique (customer, attribute) index serves it; none on
    # the source record either, which is only looked up when a record is hard-deleted (rare):
    # a full recompute writes hundreds of thousands of these rows.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="golden_attributes", db_index=False)
    attribute = models.CharField(max_length=30, choices=_attribute_choices(GOLDEN_ATTRIBUTES))
    value = models.CharField(max_length=500, blank=True)
    source_record = models.ForeignKey(
        "connectors.SourceRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    source = models.ForeignKey(
        "connectors.SourceSystem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    rule = models.CharField(max_length=20, choices=ValueRule.choices)
    decided_by = models.CharField(max_length=120, blank=True, help_text="the part of the rule that decided")
    competing = models.JSONField(
        default=list, blank=True, help_text="the other candidates: value, record, source, seen at, invalid reason"
    )
    conflict = models.BooleanField(default=False, help_text="linked records disagree (for rules that flag it)")
    pinned = models.BooleanField(default=False)
    fingerprint = models.CharField(max_length=32, help_text="hash of the row, so that recomputing writes only changes")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "attribute"], name="unique_golden_attribute"),
        ]
        indexes = [models.Index(fields=["customer"], condition=Q(conflict=True), name="golden_attr_conflict")]

    def __str__(self) -> str:
        return f"{self.customer_id}.{self.attribute} = {self.value!r}"

    def pin_options(self) -> list[dict[str, object]]:
        """The distinct valid source values a steward can pin, the current one first."""
        options: list[dict[str, object]] = []
        taken: set[str] = set()
        if self.source_record_id and not self.pinned:
            options.append({"record": self.source_record_id, "value": self.value, "source": self.source.code})
            taken.add(survivorship.normalise(self.value))
        for entry in self.competing:
            key = survivorship.normalise(str(entry.get("value", "")))
            if key and not entry.get("invalid") and key not in taken:
                taken.add(key)
                options.append(entry)
        return options


class ValuePin(models.Model):
    """A steward's value for one attribute of one golden record; it wins until unpinned."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pins", db_index=False)
    attribute = models.CharField(max_length=30, choices=_attribute_choices(PINNABLE_ATTRIBUTES))
    value = models.CharField(max_length=500)
    source_record = models.ForeignKey(
        "connectors.SourceRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.CharField(max_length=150)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer_id", "attribute"]
        constraints = [models.UniqueConstraint(fields=["customer", "attribute"], name="unique_value_pin")]

    def __str__(self) -> str:
        return f"{self.customer_id}.{self.attribute} pinned to {self.value!r}"


class CustomerChange(models.Model):
    """Append-only change log of golden records, for sync (the changes feed and webhooks).

    `sequence` is gap-free in commit order: writers serialise on an advisory lock and number
    their rows after the highest committed one (services/changes.py), so a consumer that keeps
    the last sequence it saw and asks for the ones after it misses nothing."""

    sequence = models.BigIntegerField(unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    survivor = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    attributes = models.JSONField(default=dict, blank=True, help_text="the golden record after the change")
    changed_fields = models.JSONField(default=list, blank=True)
    actor = models.CharField(max_length=150)
    origin_source = models.CharField(
        max_length=50, blank=True, help_text="code of the source whose write caused the change (loop prevention)"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.customer_id}"


class ChangePublishCursor(models.Model):
    """How far the change log has been handed to a consumer (`name`, e.g. webhooks) by the
    periodic catch-up, which republishes what a crash between commit and publish lost."""

    name = models.CharField(max_length=50, unique=True)
    sequence = models.BigIntegerField(default=0, help_text="the highest change sequence published")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} published up to #{self.sequence}"


class Relationship(models.Model):
    """A golden record's membership of a household (records sharing an address and a landline)
    or of an account (a company, by the golden `company`); members share `kind` and `key`."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relationships", db_index=False)
    kind = models.CharField(max_length=20, choices=RelationshipKind.choices)
    key = models.CharField(max_length=400)
    label = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "key", "customer_id"]
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "key"], name="unique_relationship")]
        indexes = [models.Index(fields=["kind", "key"], name="relationship_kind_key")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.label or self.key}"
