"""The three roles (SPEC §5) as Django groups, and the model permissions each one holds.

The groups themselves are created by a data migration; permissions only exist after
`migrate` has run, so they are granted from a post_migrate handler (infrastructure, not
business logic) and kept in step on every migrate.
"""

from django.contrib.auth.models import Group, Permission

VIEWER = "viewer"
STEWARD = "steward"
ADMIN = "admin"
ROLES = (VIEWER, STEWARD, ADMIN)

# Models a steward may change besides viewing: their daily work on golden records.
STEWARD_CHANGE_MODELS = {"customer"}
MDM_APPS = ("connectors", "profiles", "governance")


def sync_role_permissions(**kwargs: object) -> None:
    """Grant view rights to every role, steward rights on golden records, and all rights to admin."""
    mdm_perms = Permission.objects.filter(content_type__app_label__in=MDM_APPS)
    view_perms = list(mdm_perms.filter(codename__startswith="view_"))
    steward_perms = view_perms + [p for p in mdm_perms if p.codename.split("_", 1)[1] in STEWARD_CHANGE_MODELS]
    admin_perms = list(mdm_perms) + list(Permission.objects.filter(content_type__app_label__in=("auth", "django_q")))
    for name, perms in ((VIEWER, view_perms), (STEWARD, steward_perms), (ADMIN, admin_perms)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)


def user_has_role(user: object, role: str) -> bool:
    """True when the user is in the role's group, in a stronger one, or is a superuser."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:  # type: ignore[attr-defined]
        return True
    allowed = {VIEWER: set(ROLES), STEWARD: {STEWARD, ADMIN}, ADMIN: {ADMIN}}[role]
    return user.groups.filter(name__in=allowed).exists()  # type: ignore[attr-defined]
