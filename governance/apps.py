from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Integration catalog, health, quality, lineage and policies."""

    name = "governance"
    verbose_name = "Integration governance"
