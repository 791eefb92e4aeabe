"""Standardising whole source rows through a source's mapping.

Plain Python, no Django: every way records come in (files now; API upserts and events later)
turns a row into canonical columns and match keys through this one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.standardisation import CANONICAL_ATTRIBUTES, standardise_record


@dataclass(frozen=True, slots=True)
class RowMapping:
    """A source's mapping, worked out once per import rather than once per row."""

    columns: tuple[tuple[str, str], ...]  # (canonical attribute, source column)
    date_formats: dict[str, str]
    region: str | None
    max_lengths: dict[str, int]  # column limits of the canonical and match-key fields

    @classmethod
    def of(
        cls, mapping: Mapping[str, Mapping[str, str | None]], *, region: str | None, max_lengths: dict[str, int]
    ) -> RowMapping:
        columns = tuple((attribute, spec["field"]) for attribute, spec in mapping.items())
        formats = {attribute: spec["format"] for attribute, spec in mapping.items() if spec.get("format")}
        return cls(columns, formats, region, max_lengths)


def standardise_row(values: Mapping[str, object], issues: Mapping[str, str], mapping: RowMapping) -> dict[str, object]:
    """Canonical columns, match keys and quality issues of one row.

    Invalid values are left empty and flagged with the reason; values too long for their
    column likewise, so that nothing fails the write.
    """
    raw_values: dict[str, str | None] = {}
    found = dict(issues)
    for attribute, column in mapping.columns:
        value = values.get(column)
        if value is None or isinstance(value, str):
            raw_values[attribute] = value
        elif isinstance(value, dict | list):
            found[attribute] = f"field {column!r}: expected a text value, found {type(value).__name__}"
        else:
            raw_values[attribute] = str(value)
    standardised = standardise_record(raw_values, region=mapping.region, date_formats=mapping.date_formats)
    found.update(standardised.issues)
    limits = mapping.max_lengths
    fields: dict[str, object] = {}
    for group in (standardised.attributes, standardised.match_keys):
        for name, value in group.items():
            if value is None:
                value = "" if name in limits else None
            elif isinstance(value, str) and len(value) > limits[name]:
                if name in CANONICAL_ATTRIBUTES:
                    found[name] = f"value too long ({len(value)} characters, at most {limits[name]})"
                value = ""
            fields[name] = value
    fields["quality_issues"] = found
    return fields


def standardise_rows(
    mapping: RowMapping, rows: list[tuple[Mapping[str, object], Mapping[str, str]]]
) -> list[dict[str, object]]:
    """`standardise_row` over a chunk of (row values, issues found so far)."""
    return [standardise_row(values, issues, mapping) for values, issues in rows]
