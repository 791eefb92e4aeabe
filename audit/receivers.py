"""Auth signals into the audit trail: logins, failed logins (the throttle counts them), logouts."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from audit.backends import THROTTLED_FLAG
from audit.choices import AuditAction
from audit.services import audit_record

USERNAME_TARGET = "auth.user"


@receiver(user_logged_in, dispatch_uid="audit_user_logged_in")
def record_login(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    audit_record(actor=user, action=AuditAction.LOGIN, target=(USERNAME_TARGET, user.get_username()), request=request)


@receiver(user_login_failed, dispatch_uid="audit_user_login_failed")
def record_login_failed(
    sender: object, credentials: dict[str, object], request: HttpRequest | None = None, **kwargs: object
) -> None:
    username = str(credentials.get("username") or "")[:200]
    throttle = getattr(request, THROTTLED_FLAG, None) if request is not None else None
    if throttle is not None:
        # Refused before the password was checked: not a failure of its own, or a locked-out
        # user could never get back in while someone keeps trying.
        audit_record(
            actor="anonymous",
            action=AuditAction.LOGIN_THROTTLED,
            target=(USERNAME_TARGET, username),
            params={"reason": throttle.reason, "path": request.path},
            request=request,
        )
        return
    params = {"path": request.path} if request is not None else {}
    audit_record(
        actor="anonymous",
        action=AuditAction.LOGIN_FAILED,
        target=(USERNAME_TARGET, username),
        params=params,
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="audit_user_logged_out")
def record_logout(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    if user is None:  # logging out an anonymous session
        return
    audit_record(actor=user, action=AuditAction.LOGOUT, target=(USERNAME_TARGET, user.get_username()), request=request)
