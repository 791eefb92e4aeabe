from django.apps import AppConfig


def _after_migrate(*, apps: object = None, **kwargs: object) -> None:
    """The webhook catch-up schedule exists after every migrate (see services/change_publishing.py)."""
    from django.apps import apps as global_apps

    from profiles.services.change_publishing import change_publication_schedule_ensure

    apps = apps or global_apps  # `flush` sends the signal without the migrated state
    try:
        schedule_model = apps.get_model("django_q", "Schedule")  # type: ignore[attr-defined]
    except LookupError:  # migrated back before django-q's tables existed
        return
    change_publication_schedule_ensure(schedule_model=schedule_model)


class ProfilesConfig(AppConfig):
    """Golden records, identity resolution, survivorship and steward pages."""

    name = "profiles"
    verbose_name = "Customer profiles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from profiles.roles import sync_role_permissions

        # Every app's post_migrate, not just ours: permissions of apps migrated after profiles
        # (governance) only exist once their own post_migrate has run.
        post_migrate.connect(sync_role_permissions, dispatch_uid="profiles_sync_role_permissions")
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="profiles_after_migrate")
