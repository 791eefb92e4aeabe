from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only audit trail: who logged in, decided, merged, split, pinned, exported."""

    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import receivers  # noqa: F401 - connects the auth signal receivers
