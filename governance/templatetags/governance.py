"""Small display filters of the governance pages: shares, ISO durations and change-log values."""

from __future__ import annotations

import json
from datetime import timedelta

from django import template

from governance.catalog import format_duration

register = template.Library()


@register.filter
def gov_percent(value: float | None, digits: int = 1) -> str:
    """A share as a percentage; "—" when there was nothing to measure (never a fake 0%)."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def gov_duration(value: timedelta | None) -> str:
    """A span in ISO 8601, whole seconds, as cadences are written in the catalog."""
    if not isinstance(value, timedelta):
        return "—"
    return format_duration(timedelta(seconds=int(value.total_seconds())))


@register.filter
def gov_value(value: object) -> str:
    """A change-log value: text as is, anything else as compact JSON, nothing as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@register.filter
def gov_mask(value: object, masked: bool) -> str:
    """A golden value as a viewer sees it (SPEC §5: PII masked): its first character, then dots."""
    text = "" if value is None else str(value)
    if not masked or not text:
        return text
    return text[0] + "•" * min(len(text) - 1, 8)
