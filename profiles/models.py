"""Golden records: one unified profile per real customer."""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from profiles.choices import CustomerStatus


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
