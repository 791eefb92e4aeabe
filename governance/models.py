"""The integration catalog: how each source is connected, who owns it, and what it carries."""

from django.db import models
from django.urls import reverse

from governance.choices import IntegrationDirection, IntegrationPattern, Lifecycle


class Team(models.Model):
    """A team that owns integrations (Backstage's `owner`)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)

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
    domains = models.JSONField(default=list, blank=True)
    classification = models.JSONField(default=list, blank=True)
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.PRODUCTION)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source__code"]

    def __str__(self) -> str:
        return f"{self.source.code} ({self.pattern})"

    def get_absolute_url(self) -> str:
        return reverse("source-detail", args=[self.source.code])
