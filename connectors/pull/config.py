"""The `connector:` block of a source in the catalog (SPEC §2 extension): validation and defaults.

Plain Python, no database: `connector_validate` checks a block as the catalog file gives it and
returns the cleaned block (only the keys given, so that `export_catalog` writes back what was
loaded) and every problem, each naming the source and the key. The `*_config` functions turn
a stored block into the settings a run uses, defaults filled in. Secrets are never part of a
block: it names the environment variables that hold them (`token_env`, `dsn_env`, …).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

HTTP_PULL = "http-pull"
SQL_PULL = "sql-pull"
EVENTS = "events"
VIRTUALIZATION = "virtualization"
KINDS = (HTTP_PULL, SQL_PULL, EVENTS, VIRTUALIZATION)
PULL_KINDS = (HTTP_PULL, SQL_PULL, VIRTUALIZATION)  # kinds that `sync` runs (virtualization: identity only)
PAGINATION_STYLES = ("next-link", "page", "offset", "cursor")

_HTTP_KEYS = ("url", "records_path", "pagination", "watermark_param", "watermark_field", "params", "auth")
_HTTP_TUNING = ("page_size", "timeout", "retries", "backoff", "max_retry_after")
# Every key of each kind, in the order `connector_document` writes them.
KIND_KEYS: dict[str, tuple[str, ...]] = {
    HTTP_PULL: ("kind", *_HTTP_KEYS, *_HTTP_TUNING),
    SQL_PULL: ("kind", "dsn_env", "table", "query", "watermark_column", "id_column", "batch_size"),
    EVENTS: ("kind", "secret_env"),
    VIRTUALIZATION: ("kind", "record_url", "payload_path", "cache_seconds", *_HTTP_KEYS, *_HTTP_TUNING),
}
PAGINATION_KEYS = (
    "style",
    "page_param",
    "size_param",
    "start_page",
    "offset_param",
    "cursor_param",
    "cursor_path",
    "next_path",
)
AUTH_KEYS = {"bearer": ("type", "token_env"), "basic": ("type", "username_env", "password_env")}
# Positive numbers: (smallest, largest, integer only).
_NUMBERS: dict[str, tuple[float, float, bool]] = {
    "page_size": (1, 100_000, True),
    "timeout": (0.1, 600, False),
    "retries": (0, 20, True),
    "backoff": (0, 600, False),
    "max_retry_after": (0, 3600, False),
    "batch_size": (1, 1_000_000, True),
    "cache_seconds": (0, 86_400, False),
    "start_page": (0, 1_000_000, True),
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}(\.[A-Za-z_][A-Za-z0-9_$]{0,62})?$")
_PATH = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")
_LITERAL_SECRETS = {"token", "password", "username", "secret", "dsn"}


class ConnectorError(Exception):
    """A connector cannot run as configured (a missing environment variable, a bad block)."""


def _number(value: object, key: str, problems: list[str], where: str) -> float | int | None:
    low, high, integer = _NUMBERS[key]
    ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
    if ok and integer and not float(value).is_integer():
        ok = False
    if not ok:
        kind = "a whole number" if integer else "a number"
        problems.append(f"{where}.{key}: {value!r} must be {kind} from {low:g} to {high:g}")
        return None
    return int(value) if integer else value


def _text(value: object, key: str, problems: list[str], where: str, *, pattern: re.Pattern | None = None) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 2000:
        problems.append(f"{where}.{key}: must be a non-empty string")
        return ""
    value = value.strip()
    if pattern is not None and not pattern.match(value):
        what = {
            _ENV_NAME: "an environment variable name such as CRM_TOKEN",
            _IDENTIFIER: "a table name such as customers or schema.customers",
            _PATH: "a dotted path such as data.items",
        }[pattern]
        problems.append(f"{where}.{key}: {value!r} must be {what}")
        return ""
    return value


def _url(value: object, key: str, problems: list[str], where: str) -> str:
    text = _text(value, key, problems, where)
    if text and not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE):
        problems.append(f"{where}.{key}: {text!r} is not an http(s) URL")
        return ""
    return text


def _unknown(data: dict, allowed: tuple[str, ...], where: str, problems: list[str]) -> None:
    for key in sorted(set(data) - set(allowed), key=str):
        hint = ""
        if key in _LITERAL_SECRETS:
            hint = f" (secrets are never stored in the catalog: name the environment variable with {key}_env)"
        problems.append(f"{where}.{key}: unknown key{hint}")


def _validate_auth(data: object, where: str, problems: list[str]) -> dict[str, str] | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: must be a map such as {{type: bearer, token_env: CRM_TOKEN}}")
        return None
    kind = data.get("type")
    if kind not in AUTH_KEYS:
        problems.append(f"{where}.type: {kind!r} is not one of {', '.join(AUTH_KEYS)}")
        return None
    _unknown(data, AUTH_KEYS[kind], where, problems)
    cleaned = {"type": kind}
    for key in AUTH_KEYS[kind][1:]:
        if key not in data:
            problems.append(f"{where}.{key}: required for {kind} auth")
            continue
        cleaned[key] = _text(data[key], key, problems, where, pattern=_ENV_NAME)
    return cleaned


def _validate_pagination(data: object, where: str, problems: list[str]) -> dict[str, object] | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: must be a map such as {{style: next-link}}")
        return None
    _unknown(data, PAGINATION_KEYS, where, problems)
    style = data.get("style")
    if style not in PAGINATION_STYLES:
        problems.append(f"{where}.style: {style!r} is not one of {', '.join(PAGINATION_STYLES)}")
        return None
    cleaned: dict[str, object] = {"style": style}
    for key in PAGINATION_KEYS[1:]:
        if key not in data:
            continue
        if key == "start_page":
            cleaned[key] = _number(data[key], key, problems, where)
        else:
            cleaned[key] = _text(data[key], key, problems, where, pattern=_PATH if key.endswith("_path") else None)
    return cleaned


def connector_validate(
    data: object, *, where: str, updated_at_field: str = "", id_field: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """Check a `connector:` block; (cleaned block, problems). `where` names the source ("source 'crm'")."""
    problems: list[str] = []
    here = f"{where}: connector"
    if not isinstance(data, dict):
        return {}, [f"{here}: must be a map with a kind ({', '.join(KINDS)})"]
    kind = data.get("kind")
    if kind not in KINDS:
        return {}, [f"{here}.kind: {kind!r} is not one of {', '.join(KINDS)}"]
    allowed = KIND_KEYS[kind]
    _unknown(data, allowed, here, problems)
    cleaned: dict[str, Any] = {"kind": kind}
    for key in allowed[1:]:
        if key not in data:
            continue
        value = data[key]
        if key in _NUMBERS:
            cleaned[key] = _number(value, key, problems, here)
        elif key in ("url", "record_url"):
            cleaned[key] = _url(value, key, problems, here)
        elif key == "pagination":
            cleaned[key] = _validate_pagination(value, f"{here}.pagination", problems)
        elif key == "auth":
            cleaned[key] = _validate_auth(value, f"{here}.auth", problems)
        elif key == "params":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str | int | float) and not isinstance(v, bool)
                for k, v in value.items()
            ):
                problems.append(f"{here}.params: must be a map of query parameter -> text or number")
            else:
                cleaned[key] = dict(value)
        elif key in ("dsn_env", "secret_env"):
            cleaned[key] = _text(value, key, problems, here, pattern=_ENV_NAME)
        elif key in ("table", "watermark_column", "id_column"):
            cleaned[key] = _text(value, key, problems, here, pattern=_IDENTIFIER)
        elif key in ("records_path", "payload_path"):
            cleaned[key] = _text(value, key, problems, here, pattern=_PATH)
        else:
            cleaned[key] = _text(value, key, problems, here)
    required = {HTTP_PULL: ("url",), SQL_PULL: ("dsn_env", "watermark_column"), EVENTS: ("secret_env",)}
    required[VIRTUALIZATION] = ("record_url",)
    for key in required[kind]:
        if key not in data:
            problems.append(f"{here}.{key}: required for kind {kind}")
    if kind == SQL_PULL:
        if ("table" in data) == ("query" in data):
            problems.append(f"{here}: give either table or query (not both)")
        query = data.get("query")
        if isinstance(query, str) and not re.match(r"^\s*(select|with)\b", query, re.IGNORECASE):
            problems.append(f"{here}.query: must be a SELECT (or WITH … SELECT) statement")
        if not id_field and "id_column" not in data:
            problems.append(f"{here}.id_column: required when the source has no id_field")
    if kind == VIRTUALIZATION and isinstance(data.get("record_url"), str) and "{id}" not in data["record_url"]:
        problems.append(f"{here}.record_url: must contain {{id}}, replaced by the record's source id")
    if kind == EVENTS and not updated_at_field:
        problems.append(
            f"{here}: events need the source's updated_at_field, so that an older event never overwrites a newer state"
        )
    if "watermark_param" in data and not (data.get("watermark_field") or updated_at_field):
        problems.append(f"{here}.watermark_param: needs watermark_field or the source's updated_at_field")
    return cleaned, problems


def connector_document(block: dict[str, Any]) -> dict[str, Any]:
    """A stored block with its keys in the documented order, so that exports are deterministic
    (a JSON column does not keep key order on PostgreSQL)."""
    if not block:
        return {}
    kind = block.get("kind")
    order = KIND_KEYS.get(kind, tuple(sorted(block)))
    doc: dict[str, Any] = {key: block[key] for key in order if key in block}
    if isinstance(doc.get("pagination"), dict):
        doc["pagination"] = {k: doc["pagination"][k] for k in PAGINATION_KEYS if k in doc["pagination"]}
    if isinstance(doc.get("auth"), dict):
        auth = doc["auth"]
        doc["auth"] = {k: auth[k] for k in AUTH_KEYS.get(auth.get("type"), tuple(auth)) if k in auth}
    if isinstance(doc.get("params"), dict):
        doc["params"] = dict(sorted(doc["params"].items()))
    return doc


# ---------------------------------------------------------------------------------------------
# Settings a run uses


def env_value(name: str, *, what: str) -> str:
    """A secret from the environment; a clear error naming the variable when it is not set."""
    value = os.environ.get(name, "")
    if not value:
        raise ConnectorError(f"environment variable {name} ({what}) is not set")
    return value


@dataclass(frozen=True)
class Pagination:
    style: str = "next-link"
    page_param: str = "page"
    size_param: str = ""  # default by style: page_size (page) or limit (offset)
    start_page: int = 1
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    cursor_path: str = "next_cursor"
    next_path: str = "next"

    @property
    def size_name(self) -> str:
        return self.size_param or ("limit" if self.style == "offset" else "page_size")


@dataclass(frozen=True)
class HttpConfig:
    url: str
    records_path: str = ""
    pagination: Pagination = Pagination()
    watermark_param: str = ""
    watermark_field: str = ""
    params: tuple[tuple[str, str], ...] = ()
    auth: tuple[tuple[str, str], ...] = ()
    page_size: int = 100
    timeout: float = 10.0
    retries: int = 4
    backoff: float = 1.0
    max_retry_after: float = 60.0
    # virtualization only
    record_url: str = ""
    payload_path: str = ""
    cache_seconds: float = 30.0


def http_config(block: dict[str, Any], *, updated_at_field: str = "") -> HttpConfig:
    """The settings of an http-pull (or virtualization) block, defaults filled in."""
    virtual = block.get("kind") == VIRTUALIZATION
    fields = {k: block[k] for k in (*_HTTP_TUNING, "records_path", "watermark_param", "url") if k in block}
    if virtual:
        fields.setdefault("timeout", 2.0)
        fields.update({k: block[k] for k in ("record_url", "payload_path", "cache_seconds") if k in block})
        fields.setdefault("url", "")
    return HttpConfig(
        **fields,
        pagination=Pagination(**block.get("pagination") or {}),
        watermark_field=block.get("watermark_field") or updated_at_field,
        params=tuple((k, str(v)) for k, v in (block.get("params") or {}).items()),
        auth=tuple((block.get("auth") or {}).items()),
    )


@dataclass(frozen=True)
class SqlConfig:
    dsn_env: str
    watermark_column: str
    id_column: str
    table: str = ""
    query: str = ""
    batch_size: int = 1000


def sql_config(block: dict[str, Any], *, id_field: str) -> SqlConfig:
    """The settings of a sql-pull block; the id column defaults to the source's id_field."""
    return SqlConfig(
        dsn_env=block["dsn_env"],
        watermark_column=block["watermark_column"],
        id_column=block.get("id_column") or id_field,
        table=block.get("table", ""),
        query=block.get("query", ""),
        batch_size=block.get("batch_size", 1000),
    )
