from django.apps import AppConfig


def _after_migrate(*, apps: object = None, **kwargs: object) -> None:
    """Infrastructure after every migrate: declared schedules and policy rule rows."""
    from django.apps import apps as global_apps

    from governance.services.policies import policy_rules_sync
    from governance.services.schedules import schedules_ensure

    apps = apps or global_apps  # `flush` sends the signal without the migrated state

    try:
        schedule_model = apps.get_model("django_q", "Schedule")  # type: ignore[attr-defined]
        apps.get_model("governance", "PolicyRule")  # type: ignore[attr-defined]
    except LookupError:  # migrated back before those tables existed
        return
    schedules_ensure(schedule_model=schedule_model)
    policy_rules_sync()


class GovernanceConfig(AppConfig):
    """Integration catalog, health, quality, lineage and policies."""

    name = "governance"
    verbose_name = "Integration governance"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from connectors.policies import register_write_guard
        from governance.rules import governance_write_guard

        register_write_guard(governance_write_guard)
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="governance_after_migrate")
