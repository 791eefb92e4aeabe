"""Choice sets of the profiles app."""

from django.db import models


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired (merged away)"


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
