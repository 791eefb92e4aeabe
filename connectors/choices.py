"""Choice sets of the connectors app."""

from django.db import models


class SourceKind(models.TextChoices):
    CRM = "crm", "CRM"
    ERP = "erp", "ERP"
    BILLING = "billing", "Billing"
    MARKETING = "marketing", "Marketing automation"
    SUPPORT = "support", "Support desk"
    ECOMMERCE = "ecommerce", "E-commerce"
    PRODUCT = "product", "Product telemetry"
    OTHER = "other", "Other"


class BatchKind(models.TextChoices):
    RECORDS = "records", "Source records"
    ACTIVITIES = "activities", "Activities"
    HTTP_PULL = "http-pull", "HTTP pull"
    SQL_PULL = "sql-pull", "SQL pull"
    EVENTS = "events", "Inbound events"
    VIRTUAL = "virtualization", "Virtual source (identity sync)"


class BatchStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ActivityKind(models.TextChoices):
    ORDER = "order", "Order"
    INVOICE = "invoice", "Invoice"
    PAYMENT = "payment", "Payment"
    TICKET = "ticket", "Ticket"
    EMAIL = "email", "Email"
    CALL = "call", "Call"
    CHAT = "chat", "Chat"
    WEB_VISIT = "web_visit", "Web visit"
    USAGE = "usage", "Usage"


class WebhookEventType(models.TextChoices):
    """What happened to a golden record; the same words as the change log's kinds."""

    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    MERGED = "merged", "Merged (into a survivor)"
    SPLIT = "split", "Split"
    DELETED = "deleted", "Deleted"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    FAILED = "failed", "Failed, will retry"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead (attempts exhausted)"


# Deliveries still to send: the head of a subscription's queue is the lowest sequence among these.
WEBHOOK_OPEN_STATUSES = (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED)
