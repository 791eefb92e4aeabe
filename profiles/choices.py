"""Choice sets of the profiles app."""

from django.db import models


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired (merged away)"
