from django.apps import AppConfig


class AccessConfig(AppConfig):
    """API tokens (hashed, scoped, optionally bound to one source) and request idempotency."""

    name = "access"
    verbose_name = "API access"
