"""Access-control matrix generated from the URL configuration: every route the project has (and
every route added later, with no change here) is requested as anonymous and as a viewer.

- Pages deny anonymous users (a redirect to a login page), for GET and POST alike.
- `/api/` routes answer 401 without credentials (signature-authenticated ones, listed in SIGNED,
  refuse unsigned requests).
- A viewer's unsafe requests (POST, PUT, PATCH, DELETE) change nothing in the database, whatever
  the route answers, and no request answers a 500.
- The only routes open to anonymous users are the few listed in PUBLIC, so a new public route
  fails here until someone decides it should be public.
Routes with arguments get sample values (ids of objects that may not exist: a 404 after the
access check is fine, the point is that anonymous users are turned away first).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/"
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
# Routes anyone may open: logging in, resetting a forgotten password, the API's schema and docs
# (SPEC §4), and the JSON 404 for unknown /api/ URLs.
PUBLIC = {
    "login",
    "admin:login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "api-schema",
    "api-docs",
}
PUBLIC_PATTERNS = {"^api/"}
# API routes authenticated by something other than a token (an HMAC signature over the body):
# without it they must refuse (401, or 404/405 for a source or method they do not serve), never succeed.
SIGNED = {"api-source-events"}
UNSAFE = ("post", "put", "patch", "delete")
# Tables a request may write whoever sends it: the session, the audit trail, the task queue.
BOOKKEEPING = ("django_session", "audit_auditentry", "django_q_")
SAMPLES = {"int": "1", "slug": "crm", "str": "crm", "path": "crm-1", "uuid": str(uuid.UUID(int=1))}


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str
    url: str
    public: bool


def _sample_route(route: str) -> str:
    def value(match: re.Match) -> str:
        converter = match.group(1) or "str"
        return SAMPLES.get(converter, "1")

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _sample_regex(regex: str) -> str:
    def group(match: re.Match) -> str:
        body = match.group(1)
        if re.fullmatch(r"[\w|-]+", body):
            return body.split("|")[0]  # an alternation of words: take the first
        return "1"

    text = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    text = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))*)\)", group, text)
    return text.replace("\\", "")


def _walk(patterns: list, prefix: str = "/", namespace: str = "") -> Iterator[tuple[str, str, str, object]]:
    for entry in patterns:
        raw = str(entry.pattern)
        is_regex = raw.startswith("^") or raw.endswith("$")
        sample = _sample_regex(raw) if is_regex else _sample_route(raw)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + sample, inner)
        elif isinstance(entry, URLPattern):
            yield raw, namespace + (entry.name or ""), prefix + sample, entry.callback


def routes() -> list[Route]:
    found: dict[str, Route] = {}
    for raw, name, url, callback in _walk(get_resolver().url_patterns):
        public = not getattr(callback, "login_required", True)
        found.setdefault(url, Route(raw, name, url, public))  # a shadowed duplicate is unreachable
    return list(found.values())


ROUTES = routes()


def _writes(queries: list[dict]) -> list[str]:
    writes = []
    for query in queries:
        sql = query["sql"].lstrip().upper()
        if sql.startswith(("INSERT", "UPDATE", "DELETE")) and not any(t.upper() in sql for t in BOOKKEEPING):
            writes.append(query["sql"][:160])
    return writes


def _request(client, method: str, url: str):
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data="{}", content_type="application/json")


def test_matrix_covers_the_whole_site():
    names = {r.name for r in ROUTES}
    assert {"dashboard", "customer-detail", "audit-trail", "login", "admin:index"} <= names
    assert len(ROUTES) > 50


def test_only_the_listed_routes_are_public():
    unexpected = [
        (r.name, r.pattern)
        for r in ROUTES
        if r.public and r.name not in PUBLIC and r.pattern not in PUBLIC_PATTERNS and not r.url.startswith(API_PREFIX)
    ]
    assert unexpected == [], f"public routes not in the allow-list: {unexpected}"


@pytest.mark.django_db
def test_anonymous_is_denied_everywhere(client, crm):
    failures = []
    checked = 0
    for route in ROUTES:
        if route.name in PUBLIC or route.pattern in PUBLIC_PATTERNS:
            continue
        for method in ("get", "post"):
            response = _request(client, method, route.url)
            checked += 1
            if route.name in SIGNED:
                if response.status_code not in (401, 404, 405):
                    failures.append((method, route.url, route.name, response.status_code))
            elif route.url.startswith(API_PREFIX):
                if response.status_code != 401:
                    failures.append((method, route.url, route.name, response.status_code))
            elif response.status_code != 302 or not response["Location"].startswith(LOGIN_PATHS):
                failures.append((method, route.url, route.name, response.status_code, response.get("Location")))
    assert failures == [], f"{len(failures)} of {checked} anonymous requests not denied: {failures}"


@pytest.mark.django_db
def test_viewer_changes_nothing_and_never_meets_a_500(client, crm, make_user):
    client.force_login(make_user("vera", "viewer"))
    failures = []
    checked = 0
    for route in ROUTES:
        if route.url.startswith(("/accounts/logout/", "/admin/logout/")):
            continue  # logging out is the viewer's own business (and ends this session)
        response = _request(client, "get", route.url)
        checked += 1
        if response.status_code >= 500:
            failures.append(("get", route.url, route.name, response.status_code))
        # Django admin refuses non-staff users as a whole (one check for all its routes): POST is enough there.
        for method in ("post",) if route.url.startswith("/admin/") else UNSAFE:
            with CaptureQueriesContext(connection) as queries:
                response = _request(client, method, route.url)
            checked += 1
            writes = _writes(queries.captured_queries)
            if writes or response.status_code >= 500:
                failures.append((method, route.url, route.name, response.status_code, writes))
    assert failures == [], f"{len(failures)} of {checked} viewer requests failed: {failures}"
