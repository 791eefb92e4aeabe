"""Login throttling: after too many failed logins for one user name or from one address within a
window, further attempts are refused until the window has passed.

The failures are the audit trail's own `auth.login_failed` entries, so the count is shared by
every web process and worker (no cache to configure) and survives restarts. A successful login
clears the count for that user name (not for the address, which an attacker may share).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from audit.choices import AuditAction
from audit.models import AuditEntry

DEFAULT_USER_LIMIT = 5
DEFAULT_IP_LIMIT = 20
DEFAULT_WINDOW_SECONDS = 900


@dataclass(frozen=True)
class LoginThrottle:
    """Why logins are refused and until when."""

    reason: str  # "user" or "ip"
    failures: int
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes = max(1, round(self.retry_after / 60))
        who = "this user name" if self.reason == "user" else "your address"
        return (
            f"Too many failed logins for {who}: {self.failures} within the last "
            f"{round(login_window().total_seconds() / 60)} minutes. Try again in about {minutes} minute"
            f"{'s' if minutes != 1 else ''}."
        )


def login_window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "MDM_LOGIN_THROTTLE_SECONDS", DEFAULT_WINDOW_SECONDS)))


def _retry_after(times: list[datetime], limit: int, now: datetime) -> int:
    # Attempts open again when the failure that made the count reach the limit leaves the window.
    oldest_counted = sorted(times, reverse=True)[limit - 1]
    return max(1, int((oldest_counted + login_window() - now).total_seconds()) + 1)


def login_throttle_get(*, username: str, ip: str | None, now: datetime | None = None) -> LoginThrottle | None:
    """The throttle in force for this user name or address, or None when a login may be tried."""
    now = now or timezone.now()
    since = now - login_window()
    user_limit = int(getattr(settings, "MDM_LOGIN_FAILURE_LIMIT", DEFAULT_USER_LIMIT))
    ip_limit = int(getattr(settings, "MDM_LOGIN_IP_FAILURE_LIMIT", DEFAULT_IP_LIMIT))
    failed = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, time__gte=since, time__lte=now)
    if username and user_limit > 0:
        name = username[:200]
        last_login = AuditEntry.objects.filter(
            action=AuditAction.LOGIN, target_id=name, time__gte=since, time__lte=now
        ).aggregate(last=Max("time"))["last"]
        by_user = failed.filter(target_id=name)
        if last_login:
            by_user = by_user.filter(time__gt=last_login)
        times = list(by_user.order_by("-time").values_list("time", flat=True)[:user_limit])
        if len(times) >= user_limit:
            return LoginThrottle("user", by_user.count(), _retry_after(times, user_limit, now))
    if ip and ip_limit > 0:
        by_ip = failed.filter(ip=ip)
        times = list(by_ip.order_by("-time").values_list("time", flat=True)[:ip_limit])
        if len(times) >= ip_limit:
            return LoginThrottle("ip", by_ip.count(), _retry_after(times, ip_limit, now))
    return None
