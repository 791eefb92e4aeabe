from django.apps import AppConfig


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
