"""An authentication backend that refuses passwords while a login throttle is in force.

The login page checks the throttle first and answers 429 with a clear message; this backend
covers every other path that checks passwords (Django admin's login, `authenticate()` callers),
so a throttle cannot be sidestepped by posting somewhere else.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from audit.services import client_ip
from audit.throttling import login_throttle_get

THROTTLED_FLAG = "_mdm_login_throttled"


class ThrottledModelBackend(ModelBackend):
    """Django's model backend behind the login throttle."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: object
    ) -> AbstractBaseUser | None:
        if username is None:
            username = kwargs.get("username")
        throttle = login_throttle_get(username=str(username or ""), ip=client_ip(request))
        if throttle is not None:
            if request is not None:
                setattr(request, THROTTLED_FLAG, throttle)
            # PermissionDenied stops Django trying other backends; it sends user_login_failed.
            raise PermissionDenied(throttle.message)
        return super().authenticate(request, username=username, password=password, **kwargs)
