"""Actions of the audit trail (dotted: area.verb)."""

from django.db import models


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", "Logged in"
    LOGIN_FAILED = "auth.login_failed", "Login failed"
    LOGIN_THROTTLED = "auth.login_throttled", "Login refused (too many failures)"
    LOGOUT = "auth.logout", "Logged out"
    EXPORT_XREFS = "export.xrefs", "Exported xrefs"
    EXPORT_CATALOG = "export.catalog", "Exported the catalog"
    EXPORT_ALL = "export.all", "Exported everything (backup)"
    IMPORT_ALL = "import.all", "Imported everything (restore)"
    TOKEN_ISSUED = "token.issued", "API token issued"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    AUDIT_PURGED = "audit.purged", "Audit entries past retention purged"
