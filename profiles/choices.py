"""Choice sets of the profiles app."""

from django.db import models


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired (merged away)"
    DELETED = "deleted", "Deleted (no source records left)"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunMode(models.TextChoices):
    INCREMENTAL = "incremental", "Incremental"
    FULL = "full", "Full"
    REALTIME = "realtime", "Real-time"


class PairStatus(models.TextChoices):
    LINKED = "linked", "Linked automatically"
    REVIEW = "review", "Waiting for review"
    DECIDED = "decided", "Decided by a steward"


class Decision(models.TextChoices):
    MATCH = "match", "Match"
    NO_MATCH = "no-match", "No match"


class ConstraintKind(models.TextChoices):
    MUST_LINK = "must-link", "Must link"
    CANNOT_LINK = "cannot-link", "Cannot link"


class ModelKind(models.TextChoices):
    FELLEGI_SUNTER = "fellegi-sunter", "Fellegi–Sunter (EM, unsupervised)"
    SUPERVISED = "supervised", "Logistic regression on steward decisions"


class CustomerEventKind(models.TextChoices):
    CREATED = "created", "Created"
    MERGED = "merged", "Merged into another golden record"
    ABSORBED = "absorbed", "Absorbed other golden records"
    SPLIT = "split", "Split"
    RETIRED = "retired", "Retired"
    DELETED = "deleted", "Deleted (no source records left)"
    RESTORED = "restored", "Restored"
    PINNED = "pinned", "Value pinned"
    UNPINNED = "unpinned", "Value unpinned"
    RECORD_DELETED = "record-deleted", "Source record deleted"
    UNDONE = "undone", "Steward action undone"


class SurvivorshipStrategy(models.TextChoices):
    """How one golden attribute's value is picked from the linked source records."""

    SOURCE_PRIORITY = "source-priority", "Source priority"
    MOST_RECENT = "most-recent", "Most recent"
    MOST_FREQUENT = "most-frequent", "Most frequent across sources"
    MOST_COMPLETE = "most-complete", "Most complete (longest)"
    HIGHEST_TRUST = "highest-trust", "Highest source trust"
    TRUST_DECAY = "trust-decay", "Trust decaying with age"


class ValueRule(models.TextChoices):
    """The rule that supplied a golden value: a strategy, a steward's pin, or derivation."""

    SOURCE_PRIORITY = "source-priority", "Source priority"
    MOST_RECENT = "most-recent", "Most recent"
    MOST_FREQUENT = "most-frequent", "Most frequent across sources"
    MOST_COMPLETE = "most-complete", "Most complete (longest)"
    HIGHEST_TRUST = "highest-trust", "Highest source trust"
    TRUST_DECAY = "trust-decay", "Trust decaying with age"
    STEWARD_OVERRIDE = "steward-override", "Steward override"
    DERIVED = "derived", "Derived from other golden values"


class DecayCurve(models.TextChoices):
    """Shape of trust decay over the decay period (Informatica's linear, RISL and SIRL)."""

    LINEAR = "linear", "Linear"
    RISL = "risl", "Rapid initial, slow later"
    SIRL = "sirl", "Slow initial, rapid later"


class ChangeKind(models.TextChoices):
    """Kinds of golden-record change in the change log (the changes feed)."""

    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    MERGED = "merged", "Merged into another golden record"
    SPLIT = "split", "Split"
    DELETED = "deleted", "Deleted"


class RelationshipKind(models.TextChoices):
    HOUSEHOLD = "household", "Household"
    ACCOUNT = "account", "Account membership"
