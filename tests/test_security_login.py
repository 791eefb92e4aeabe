"""Login throttling: after too many failed logins for a user name (or from one address) within
the window, further attempts are refused with 429 and a clear message, on the login page and on
every other password check (Django admin), until the window has passed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import throttling
from audit.choices import AuditAction
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "correct-Horse-9"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.MDM_LOGIN_FAILURE_LIMIT = 3
    settings.MDM_LOGIN_IP_FAILURE_LIMIT = 5
    settings.MDM_LOGIN_THROTTLE_SECONDS = 600
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for tests only


def login(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_user_name_locked_after_failures_even_with_the_right_password(client, make_user):
    make_user("alice", "viewer", password=PASSWORD)
    for _ in range(3):
        assert login(client, "alice", "wrong").status_code == 200
    refused = login(client, "alice", PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 500
    assert "Too many failed logins for this user name" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Refused attempts are audited but do not extend the lock-out as failures.
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 3
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_THROTTLED, target_id="alice").count() == 1
    # Another user from another address is not affected.
    make_user("bob", "viewer", password=PASSWORD)
    assert login(client, "bob", PASSWORD, ip="10.0.0.2").status_code == 302


def test_lock_lifts_after_the_window(client, make_user, monkeypatch):
    make_user("alice", "viewer", password=PASSWORD)
    for _ in range(3):
        login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 429
    later = timezone.now() + timedelta(seconds=601)
    monkeypatch.setattr(throttling.timezone, "now", lambda: later)
    assert login(client, "alice", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_count_for_that_user(client, make_user):
    make_user("alice", "viewer", password=PASSWORD)
    login(client, "alice", "wrong")
    login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302
    client.logout()
    login(client, "alice", "wrong")
    assert login(client, "alice", PASSWORD).status_code == 302


def test_address_locked_after_failures_across_user_names(client, make_user):
    make_user("carol", "viewer", password=PASSWORD)
    for i in range(5):
        login(client, f"guess{i}", "wrong", ip="10.9.9.9")
    refused = login(client, "carol", PASSWORD, ip="10.9.9.9")
    assert refused.status_code == 429
    assert "your address" in refused.content.decode()
    assert login(client, "carol", PASSWORD, ip="10.9.9.10").status_code == 302


def test_admin_login_is_throttled_too(client, make_user):
    user = make_user("root", "admin", password=PASSWORD)
    user.is_staff = True
    user.save()
    for _ in range(3):
        client.post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR="10.0.0.3")
    client.post("/admin/login/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.0.0.3")
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_THROTTLED, target_id="root").count() == 1


def test_behind_a_proxy_the_configured_header_names_the_client(client, make_user, settings):
    settings.MDM_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    make_user("dave", "viewer", password=PASSWORD)
    client.post(
        reverse("login"), {"username": "dave", "password": "x"}, REMOTE_ADDR="10.0.0.9", HTTP_X_REAL_IP="203.0.113.7"
    )
    assert AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED).ip == "203.0.113.7"
    # Without the setting a client-sent header is ignored.
    settings.MDM_CLIENT_IP_HEADER = ""
    client.post(
        reverse("login"), {"username": "dave", "password": "x"}, REMOTE_ADDR="10.0.0.9", HTTP_X_REAL_IP="1.2.3.4"
    )
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("-id").first().ip == "10.0.0.9"
