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
