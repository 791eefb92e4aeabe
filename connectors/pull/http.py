"""Reading a JSON HTTP API page by page: pagination styles, auth, timeouts, retries, rate limits.

No database here: `http_pages` yields the records of each page and leaves writing them to the
caller. A transient failure (connection error, timeout, HTTP 5xx) is retried with exponential
backoff; HTTP 429 (and 503) wait as long as `Retry-After` asks, up to `max_retry_after`; any
other 4xx, or running out of retries, raises `PullError` with what went wrong and where.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from connectors.pull.config import ConnectorError, HttpConfig, env_value

RECORD_LISTS = ("data", "results", "records", "items")  # where records are looked for without records_path
MAX_PAGES = 100_000
USER_AGENT = "customer-mdm-connector/1"

Sleep = Callable[[float], None]


class PullError(ConnectorError):
    """The peer could not be read: the message names the request and what failed."""


def dig(document: object, path: str) -> object:
    """The value at a dotted path (`data.items`) of a JSON document, or None."""
    for part in path.split("."):
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def display_url(url: str) -> str:
    """A URL fit for logs and batch records: no query string, no credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def session_for(config: HttpConfig) -> requests.Session:
    """A session carrying the configured auth, its secrets read from the environment now."""
    session = requests.Session()
    session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
    auth = dict(config.auth)
    if auth.get("type") == "bearer":
        token = env_value(auth["token_env"], what="bearer token")
        session.headers["Authorization"] = f"Bearer {token}"
    elif auth.get("type") == "basic":
        session.auth = (
            env_value(auth["username_env"], what="basic auth user name"),
            env_value(auth["password_env"], what="basic auth password"),
        )
    return session


def retry_after_seconds(value: str | None) -> float | None:
    """The wait a `Retry-After` header asks for: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def fetch_json(
    session: requests.Session,
    url: str,
    *,
    params: dict[str, str] | None,
    config: HttpConfig,
    sleep: Sleep = time.sleep,
) -> tuple[Any, requests.Response]:
    """GET a JSON document, retrying transient failures with exponential backoff."""
    where = f"GET {display_url(url)}"
    attempt = 0
    while True:
        try:
            response = session.get(url, params=params, timeout=config.timeout)
        except requests.Timeout:
            problem, wait = f"no answer within {config.timeout:g}s", None
        except requests.RequestException as exc:
            problem, wait = f"connection failed ({type(exc).__name__})", None
        else:
            status = response.status_code
            if status < 400:
                try:
                    return response.json(), response
                except ValueError as exc:
                    raise PullError(f"{where}: the answer is not JSON ({response.text[:80]!r})") from exc
            if status != 429 and status < 500:
                raise PullError(f"{where}: HTTP {status} {response.reason}: {response.text[:200]}")
            problem = f"HTTP {status}"
            wait = retry_after_seconds(response.headers.get("Retry-After")) if status in (429, 503) else None
        if attempt >= config.retries:
            raise PullError(f"{where}: {problem}, after {attempt + 1} attempt(s)")
        if wait is None:
            wait = config.backoff * 2**attempt
        elif wait > config.max_retry_after:
            raise PullError(
                f"{where}: {problem}, asked to retry after {wait:g}s, longer than max_retry_after "
                f"({config.max_retry_after:g}s)"
            )
        sleep(wait)
        attempt += 1


def page_records(body: object, config: HttpConfig, url: str) -> list[object]:
    """The list of records in one page's document."""
    if isinstance(body, list):
        return body
    if config.records_path:
        found = dig(body, config.records_path)
    else:
        found = next((body[k] for k in RECORD_LISTS if isinstance(body, dict) and k in body), None)
    if not isinstance(found, list):
        where = config.records_path or " or ".join(RECORD_LISTS)
        raise PullError(f"GET {display_url(url)}: no list of records at {where} in the answer: set records_path")
    return found


def http_pages(
    config: HttpConfig,
    *,
    watermark: str = "",
    session: requests.Session | None = None,
    sleep: Sleep = time.sleep,
) -> Iterator[list[object]]:
    """The records of each page of the API, from `watermark` on (when the API takes one)."""
    session = session or session_for(config)
    paging = config.pagination
    params: dict[str, str] = dict(config.params)
    if watermark and config.watermark_param:
        params[config.watermark_param] = watermark
    params[paging.size_name] = str(config.page_size)
    url: str = config.url
    page, offset, cursor = paging.start_page, 0, None
    seen: set[str] = set()
    previous = ""
    for _ in range(MAX_PAGES):
        if paging.style == "page":
            params[paging.page_param] = str(page)
        elif paging.style == "offset":
            params[paging.offset_param] = str(offset)
        elif paging.style == "cursor" and cursor:
            params[paging.cursor_param] = cursor
        body, response = fetch_json(session, url, params=params, config=config, sleep=sleep)
        records = page_records(body, config, url)
        if records and paging.style in ("page", "offset"):
            fingerprint = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode()).hexdigest()
            if fingerprint == previous:
                raise PullError(
                    f"GET {display_url(url)}: the same page came back twice; does the API take "
                    f"{paging.page_param if paging.style == 'page' else paging.offset_param}?"
                )
            previous = fingerprint
        if records:
            yield records
        if paging.style in ("page", "offset"):
            if not records:
                return
            page += 1
            offset += len(records)
            continue
        if paging.style == "cursor":
            found = dig(body, paging.cursor_path)
            cursor = str(found) if found not in (None, "", False) else None
            token = cursor
        else:  # next-link: in the document, or in a Link header
            found = dig(body, paging.next_path) if isinstance(body, dict) else None
            link = found if isinstance(found, str) and found else response.links.get("next", {}).get("url")
            token = urljoin(url, link) if link else None
            if token:
                url, params = token, {}  # the next link carries its own query
        if not token:
            return
        if token in seen:
            raise PullError(f"GET {display_url(url)}: the API sent the same next page twice ({token[:80]!r})")
        seen.add(token)
    raise PullError(f"GET {display_url(config.url)}: more than {MAX_PAGES} pages")
