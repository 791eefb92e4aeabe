from django.apps import AppConfig


def _after_migrate(*, apps: object = None, **kwargs: object) -> None:
    """The schedules connectors declares in code exist after every migrate: webhook retries and
    connector pulls (each is a no-op when nothing is due)."""
    from django.apps import apps as global_apps

    from connectors.pull.schedules import sync_schedule_ensure
    from connectors.services.webhooks import webhook_schedule_ensure

    apps = apps or global_apps  # `flush` sends the signal without the migrated state
    try:
        schedule_model = apps.get_model("django_q", "Schedule")  # type: ignore[attr-defined]
    except LookupError:  # migrated back before django-q's tables existed
        return
    webhook_schedule_ensure(schedule_model=schedule_model)
    sync_schedule_ensure(schedule_model=schedule_model)


class ConnectorsConfig(AppConfig):
    """Source systems, mapping, standardisation, ingestion, pull connectors and outbound delivery."""

    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="connectors_after_migrate")
