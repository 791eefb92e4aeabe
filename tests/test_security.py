"""Security settings and headers: `check --deploy` is clean with production settings (and flags
a missing SECRET_KEY), responses carry the security headers, and every POST form of the site
is refused without its CSRF token (forms are found by crawling the pages, so new ones are
covered without a change here)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from tests.test_access_matrix import ROUTES

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {"DEBUG": "0", "MDM_HTTPS": "on", "ALLOWED_HOSTS": "mdm.example.com"}


def run_in_subprocess(env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess:
    # A production process starts without test-only variables (browser tests set DJANGO_ALLOW_ASYNC_UNSAFE).
    unset = {"DEBUG", "MDM_HTTPS", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, *args], env={**base, **env}, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(64), "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    done = run_in_subprocess(env, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_flags_a_secret_key_not_taken_from_the_environment(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    done = run_in_subprocess(env, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert done.returncode != 0
    assert "security.W009" in done.stderr  # the development key is not a production secret


HEADERS_SCRIPT = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mdm.settings")
django.setup()
from django.test import Client
client = Client(HTTP_HOST="mdm.example.com")
plain = client.get("/accounts/login/")
secure = client.get("/accounts/login/", secure=True)
print(json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location"),
    "hsts": secure.get("Strict-Transport-Security"), "status": secure.status_code,
    "csrf_cookie_secure": bool(secure.cookies["csrftoken"]["secure"]),
}))
"""


def test_https_mode_redirects_and_sends_hsts(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(64), "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
    done = run_in_subprocess(env, ["-c", HEADERS_SCRIPT])
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["plain_status"] == 301 and result["plain_location"].startswith("https://mdm.example.com/")
    assert result["status"] == 200
    assert result["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert result["csrf_cookie_secure"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/customers/"])
def test_security_headers_on_pages(client, make_user, path):
    if path != "/accounts/login/":
        client.force_login(make_user("vera", "viewer"))
    response = client.get(path)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_session_cookie_is_http_only(client, make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_user("vera", "viewer", password="correct-Horse-9")
    response = client.post(reverse("login"), {"username": "vera", "password": "correct-Horse-9"})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"] is True
    assert response.cookies["sessionid"]["samesite"] == "Lax"


class FormFinder(HTMLParser):
    """POST forms (action, field names) and same-site links of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []
        self.links: list[str] = []
        self._form: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self._form)
        elif tag in ("input", "select", "textarea", "button") and self._form is not None and a.get("name"):
            self._form["fields"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


@pytest.fixture
def site_with_data(db, settings, tmp_path_factory):
    from tests.test_integrity import build_resolved_state

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    directory = tmp_path_factory.mktemp("csrf-data")
    from benchmarks.datagen import generate

    generate(60, 5, directory)
    return build_resolved_state(directory)


MAX_PAGES = 150
PAGES_PER_ROUTE = 2


def _route_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


@pytest.mark.django_db
def test_every_post_form_needs_its_csrf_token(site_with_data, make_user):
    """Crawl the site as an admin from every route's sample URL plus the links found on pages;
    every POST form must carry a CSRF token, and posting it without one must be refused."""
    admin = make_user("root", "admin")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    browser = Client()
    browser.force_login(admin)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin)
    start = [r.url for r in ROUTES if not r.url.startswith(("/admin/", "/api/", "/accounts/logout/"))]
    queue, seen, forms = list(dict.fromkeys(start)), set(), {}
    per_route: dict[str, int] = {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        name = _route_name(url)
        if url in seen or name is None or per_route.get(name, 0) >= PAGES_PER_ROUTE:
            continue
        seen.add(url)
        per_route[name] = per_route.get(name, 0) + 1
        response = browser.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        finder = FormFinder()
        finder.feed(response.content.decode())
        for form in finder.forms:
            action = urljoin(url, form["action"] or url)
            key = (_route_name(urlsplit(action).path), tuple(sorted(form["fields"])))
            forms.setdefault(key, (url, {**form, "action": urlsplit(action).path}))
        for link in finder.links:
            target = urlsplit(urljoin(url, link))
            if not target.netloc and not target.path.startswith(("/admin/", "/api/", "/static/")):
                queue.append(target.path)
    assert len(forms) >= 5, forms  # login, logout, pin, merge, split at least
    missing_token, accepted = [], []
    for (_, _), (page, form) in forms.items():
        action = form["action"]
        fields = dict(form["fields"])
        if "csrfmiddlewaretoken" not in fields:
            missing_token.append((page, action))
        fields.pop("csrfmiddlewaretoken", None)
        response = strict.post(action, fields)
        if response.status_code != 403 or b"CSRF" not in response.content:
            accepted.append((page, action, response.status_code))
    assert missing_token == [], f"POST forms without a CSRF token: {missing_token}"
    assert accepted == [], f"POSTs without a CSRF token not refused: {accepted}"
    assert {"logout", "login", "customer-merge", "customer-split", "customer-pin"} <= {name for name, _ in forms}
