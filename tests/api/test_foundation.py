"""What every API endpoint shares: JSON errors (404s under /api/ too), the error format, the
OpenAPI schema, locally served docs, and the rate limit per token."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from mdm.api import CursorPagination, api_exception_handler


@pytest.mark.parametrize("path", ["/api/v1/nowhere/", "/api/v2/customers/", "/api/", "/api/v1/customers/x/y/z/"])
def test_unknown_api_urls_are_json_404s(anon_client, db, path):
    response = anon_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_missing_slash_gets_a_hint(anon_client, db):
    response = anon_client.get("/api/v1/schema")
    assert response.status_code == 404
    assert "/api/v1/schema/" in response.json()["detail"]


def test_pages_keep_their_html_404(client, make_user):
    client.force_login(make_user())
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (exceptions.ValidationError("bad thing"), 400, {"detail": "bad thing"}),
        (exceptions.ValidationError({"email": ["not an email"]}), 400, {"email": ["not an email"]}),
        (DjangoValidationError("service said no"), 400, {"detail": "service said no"}),
        (DjangoValidationError({"scope": "unknown"}), 400, {"scope": ["unknown"]}),
        (Http404("gone"), 404, {"detail": "gone"}),
        (exceptions.NotAuthenticated(), 401, {"detail": "Authentication credentials were not provided."}),
    ],
)
def test_one_error_format(exc, status, body):
    response = api_exception_handler(exc, {})
    assert (response.status_code, response.data) == (status, body)


def test_unexpected_errors_are_left_to_the_500_handler():
    assert api_exception_handler(RuntimeError("boom"), {}) is None


def test_500_under_api_is_json(rf):
    from mdm.api import server_error_handler

    response = server_error_handler(rf.get("/api/v1/customers/"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert "detail" in __import__("json").loads(response.content)


def test_schema_is_openapi_3(anon_client, db):
    response = anon_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    yaml = anon_client.get("/api/v1/schema/")
    assert yaml.status_code == 200 and b"openapi: 3" in yaml.content


def test_schema_generates_without_warnings(capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    assert "Warning" not in capsys.readouterr().err


def test_docs_are_served_locally_without_cdn(anon_client, db):
    response = anon_client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/schema/" in html
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, "the page loads its scripts and styles"
    assert all(not re.match(r"^(https?:)?//", url) for url in urls), urls
    assert "cdn" not in html.lower()
    scripts = [url for url in urls if url.endswith(".js")]
    assert any("swagger-ui" in url for url in scripts)
    for url in urls:
        asset = anon_client.get(url)
        assert asset.status_code == 200, url
        if hasattr(asset, "streaming_content"):
            b"".join(asset.streaming_content)
        asset.close()


@pytest.mark.urls("tests.access.urls")
def test_a_low_rate_gives_429(token_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "3/min"}}
    client = token_client("read")
    other = token_client("read")
    codes = [client.get("/api/v1/read/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/read/")
    assert response.status_code == 429 and "detail" in response.json()
    assert int(response["Retry-After"]) > 0
    assert other.get("/api/v1/read/").status_code == 200  # a bucket per token
    cache.clear()


def test_bad_cursor_is_400(rf):
    from rest_framework.request import Request

    request = Request(rf.get("/api/v1/customers/", {"cursor": "not-base64!"}))
    with pytest.raises(exceptions.ValidationError) as caught:
        CursorPagination().decode_cursor(request)
    assert caught.value.detail == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize(
    "path,scope",
    [("/api/v1/match/", "read"), ("/api/v1/webhooks/", "steward"), ("/api/v1/match-pairs/1/decision/", "steward")],
)
def test_json_nested_deeper_than_the_stack_is_a_400_everywhere(token_client, db, path, scope):
    body = b"[" * 100_000 + b"]" * 100_000
    response = token_client(scope).post(path, data=body, content_type="application/json")
    assert response.status_code in (400, 404), response.content  # 404: no such pair, decided before parsing
    if response.status_code == 400:
        assert "nested too deeply" in response.json()["detail"]
