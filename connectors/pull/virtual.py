"""Virtual sources (connector kind `virtualization`): the payload stays in the source.

Only the identity attributes (id, updated-at and the mapped canonical columns) are synced, so
that matching sees the record; the rest is fetched live from `record_url` when a page or an API
client asks. One attempt with a short timeout (2 s by default), answers cached briefly
(`cache_seconds`), and a source that is down gives an "unavailable" payload rather than an
error, also cached for a few seconds so that a page of many records does not wait on it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from django.core.cache import cache
from django.utils import timezone

from connectors.models import SourceRecord
from connectors.pull.config import VIRTUALIZATION, ConnectorError, http_config
from connectors.pull.http import dig, display_url, fetch_json, session_for

UNAVAILABLE_CACHE_SECONDS = 10
LIVE = "live"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class VirtualPayload:
    """A virtual record's live payload (the fields not synced), or why it is unavailable."""

    record_id: int
    source: str
    status: str  # live | unavailable
    fields: dict[str, object] = field(default_factory=dict)
    fetched_at: datetime | None = None
    url: str = ""
    reason: str = ""
    cached: bool = False

    @property
    def is_live(self) -> bool:
        return self.status == LIVE


def _cache_key(record: SourceRecord) -> str:
    digest = hashlib.sha256(record.external_id.encode()).hexdigest()[:32]
    return f"mdm:virtual:{record.source_id}:{digest}"


def _synced_columns(record: SourceRecord) -> set[str]:
    source = record.source
    columns = {spec["field"] for spec in source.mapping.values()} | {source.id_field}
    return columns | ({source.updated_at_field} if source.updated_at_field else set())


def virtual_payload_get(record: SourceRecord) -> VirtualPayload | None:
    """The live payload of a virtual source's record; None when its source is not virtual.

    Never raises for the source's sake: a timeout, a refused connection, an HTTP error or a
    bad answer is an `unavailable` payload with the reason."""
    block = record.source.connector or {}
    if block.get("kind") != VIRTUALIZATION:
        return None
    key = _cache_key(record)
    found = cache.get(key)
    if isinstance(found, VirtualPayload):
        return dataclasses.replace(found, cached=True)
    config = dataclasses.replace(http_config(block, updated_at_field=record.source.updated_at_field), retries=0)
    url = config.record_url.replace("{id}", quote(record.external_id, safe=""))
    try:
        body, _ = fetch_json(session_for(config), url, params=None, config=config)
        payload = dig(body, config.payload_path) if config.payload_path else body
        if not isinstance(payload, dict):
            raise ConnectorError(f"GET {display_url(url)}: the answer is not a JSON object")
    except ConnectorError as exc:
        result = VirtualPayload(record.pk, record.source.code, UNAVAILABLE, url=display_url(url), reason=str(exc))
        cache.set(key, result, min(UNAVAILABLE_CACHE_SECONDS, config.cache_seconds))
        return result
    synced = _synced_columns(record)
    fields = {name: value for name, value in sorted(payload.items()) if name not in synced}
    result = VirtualPayload(record.pk, record.source.code, LIVE, fields, timezone.now(), display_url(url))
    if config.cache_seconds:
        cache.set(key, result, config.cache_seconds)
    return result


def virtual_payload_list(*, records: Iterable[SourceRecord]) -> list[VirtualPayload]:
    """The live payloads of the virtual records among `records` (active ones), for a profile page."""
    payloads = []
    for record in records:
        if record.is_deleted or (record.source.connector or {}).get("kind") != VIRTUALIZATION:
            continue
        payload = virtual_payload_get(record)
        if payload is not None:
            payloads.append(payload)
    return payloads
