"""Choice sets of the access app."""

from django.db import models


class TokenScope(models.TextChoices):
    """What an API token may do. `write` and `steward` also allow `read`."""

    READ = "read", "Read"
    WRITE = "write", "Write (upsert and delete source records)"
    STEWARD = "steward", "Steward (adjudicate match pairs)"
