from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    """Golden records, identity resolution, survivorship and steward pages."""

    name = "profiles"
    verbose_name = "Customer profiles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from profiles.roles import sync_role_permissions

        post_migrate.connect(sync_role_permissions, sender=self)
