"""Choice sets of the governance app."""

from django.db import models


class IntegrationPattern(models.TextChoices):
    API_LED = "api-led", "API-led"
    EVENT_DRIVEN = "event-driven", "Event-driven"
    BATCH = "batch", "Batch"
    VIRTUALIZATION = "virtualization", "Virtualization"


class IntegrationDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    BIDIRECTIONAL = "bidirectional", "Bidirectional"


class Lifecycle(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PRODUCTION = "production", "Production"
    DEPRECATED = "deprecated", "Deprecated"


class Freshness(models.TextChoices):
    """Observed time since the last successful sync, judged against the declared cadence."""

    FRESH = "fresh", "Fresh"
    LATE = "late", "Late"
    STALE = "stale", "Stale"
    NEVER = "never", "Never synced"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class ChangeAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"


class GovernanceEventType(models.TextChoices):
    FINDING_OPENED = "finding-opened", "Finding opened"
    FINDING_RESOLVED = "finding-resolved", "Finding resolved"
