"""The source catalog file (SPEC §2): parse and validate the whole file before anything is applied.

Validation collects every problem, each message naming the source and the key at fault, so a
user fixes a file in one pass. Only a file with no problems becomes a `Catalog`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pycountry
import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from connectors.choices import SourceKind
from connectors.pull.config import connector_document, connector_validate
from connectors.standardisation import CANONICAL_ATTRIBUTES
from governance.choices import IntegrationDirection, IntegrationPattern, Lifecycle

TOP_KEYS = {"default_country", "sources"}
SOURCE_KEYS = {
    "code",
    "name",
    "kind",
    "trust",
    "default_country",
    "id_field",
    "updated_at_field",
    "mapping",
    "integration",
    "connector",
}
REQUIRED_SOURCE_KEYS = ("code", "name", "id_field", "mapping")
INTEGRATION_KEYS = {
    "pattern",
    "direction",
    "cadence",
    "owner",
    "steward",
    "domains",
    "classification",
    "lifecycle",
    "protocol",
    "endpoint",
    "docs",
}
REQUIRED_INTEGRATION_KEYS = ("pattern", "cadence")
MAPPING_SPEC_KEYS = {"field", "format"}
# Free-text integration keys and their longest value (the model's column sizes).
TEXT_INTEGRATION_KEYS = {"protocol": 50, "endpoint": 500, "docs": 500}
DATE_ATTRIBUTES = {"date_of_birth"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


class CatalogError(Exception):
    """The catalog file is invalid; `problems` lists every fault found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class IntegrationSpec:
    pattern: str
    direction: str
    cadence: timedelta
    owner: str | None
    steward: str
    domains: list[str]
    classification: list[str]
    lifecycle: str
    protocol: str = ""
    endpoint: str = ""
    docs: str = ""


@dataclass(frozen=True)
class SourceSpec:
    code: str
    name: str
    kind: str
    trust: float
    default_country: str
    id_field: str
    updated_at_field: str
    mapping: dict[str, dict[str, str | None]]
    integration: IntegrationSpec | None
    connector: dict = field(default_factory=dict)  # validated by connectors.pull.config


@dataclass(frozen=True)
class Catalog:
    default_country: str
    sources: list[SourceSpec] = field(default_factory=list)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (`PT5M`, `P1D`, `P1W`).

    Years and months are refused: their length varies, and a cadence must be a fixed span.
    """
    match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT5M, PT1H or P1D")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    span = timedelta(**parts)
    if span <= timedelta(0):
        raise ValueError(f"{text!r} must be longer than zero")
    return span


def format_duration(span: timedelta) -> str:
    """The ISO 8601 form of a cadence, the inverse of `parse_duration` (fractions of a second kept)."""
    micros = span // timedelta(microseconds=1)
    seconds, fraction = divmod(micros, 1_000_000)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    sec_text = f"{secs}.{fraction:06d}".rstrip("0") if fraction else (str(secs) if secs else "")
    text = "P" + (f"{days}D" if days else "")
    time_part = (
        (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{sec_text}S" if sec_text else "")
    )
    if not days and not time_part:
        return "PT0S"
    return text + ("T" + time_part if time_part else "")


def _country(value: object) -> str | None:
    if not isinstance(value, str) or len(value.strip()) != 2:
        return None
    found = pycountry.countries.get(alpha_2=value.strip().upper())
    return found.alpha_2 if found else None


def _check_date_format(fmt: str) -> bool:
    """A strptime format is usable when it writes and reads back a known date."""
    if "%" not in fmt:
        return False
    try:
        sample = date(1987, 11, 23)
        return datetime.strptime(sample.strftime(fmt), fmt).date() == sample  # noqa: DTZ007
    except (ValueError, TypeError):
        return False


def _string_list(value: object) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return [v.strip() for v in value]
    return None


def _validate_mapping(where: str, mapping: object, problems: list[str]) -> dict[str, dict[str, str | None]]:
    result: dict[str, dict[str, str | None]] = {}
    if not isinstance(mapping, dict) or not mapping:
        problems.append(f"{where}: mapping must be a non-empty map of canonical attribute -> column")
        return result
    for attribute, spec in mapping.items():
        here = f"{where}: mapping.{attribute}"
        if attribute not in CANONICAL_ATTRIBUTES:
            problems.append(f"{here}: unknown canonical attribute (expected one of {', '.join(CANONICAL_ATTRIBUTES)})")
            continue
        fmt = None
        if isinstance(spec, dict):
            unknown = set(spec) - MAPPING_SPEC_KEYS
            if unknown:
                problems.append(f"{here}: unknown key {sorted(unknown)[0]!r} (expected field, format)")
                continue
            column, fmt = spec.get("field"), spec.get("format")
            if fmt is not None:
                if attribute not in DATE_ATTRIBUTES:
                    problems.append(f"{here}.format: a format applies only to {', '.join(sorted(DATE_ATTRIBUTES))}")
                elif not isinstance(fmt, str) or not _check_date_format(fmt):
                    problems.append(f"{here}.format: {fmt!r} is not a strptime date format such as '%d/%m/%Y'")
        else:
            column = spec
        if not isinstance(column, str) or not column.strip():
            problems.append(f"{here}: the column name must be a non-empty string")
            continue
        result[attribute] = {"field": column.strip(), "format": fmt}
    return result


def _validate_integration(where: str, data: object, problems: list[str]) -> IntegrationSpec | None:
    if not isinstance(data, dict):
        problems.append(f"{where}: integration must be a map")
        return None
    before = len(problems)
    for key in sorted(set(data) - INTEGRATION_KEYS):
        problems.append(f"{where}: integration.{key}: unknown key")
    for key in REQUIRED_INTEGRATION_KEYS:
        if key not in data:
            problems.append(f"{where}: integration.{key}: required")
    choices = (
        ("pattern", IntegrationPattern.values, None),
        ("direction", IntegrationDirection.values, IntegrationDirection.INBOUND.value),
        ("lifecycle", Lifecycle.values, Lifecycle.PRODUCTION.value),
    )
    chosen = {}
    for key, allowed, default in choices:
        value = data.get(key, default)
        if key in data and value not in allowed:
            problems.append(f"{where}: integration.{key}: {value!r} is not one of {', '.join(allowed)}")
        chosen[key] = value
    cadence = None
    if "cadence" in data:
        try:
            cadence = parse_duration(data["cadence"])
        except ValueError as exc:
            problems.append(f"{where}: integration.cadence: {exc}")
    owner = data.get("owner")
    if owner is not None and (not isinstance(owner, str) or not _SLUG.match(owner)):
        problems.append(f"{where}: integration.owner: {owner!r} must be a team slug such as sales-ops")
    steward = data.get("steward") or ""
    if not isinstance(steward, str) or len(steward.strip()) > 254:
        problems.append(f"{where}: integration.steward: must be a string of at most 254 characters")
    lists = {}
    for key in ("domains", "classification"):
        lists[key] = _string_list(data.get(key))
        if lists[key] is None:
            problems.append(f"{where}: integration.{key}: must be a list of strings")
    for slug in lists["domains"] or []:
        if not _SLUG.match(slug):
            problems.append(f"{where}: integration.domains: {slug!r} must be a domain slug such as customer")
    texts = {}
    for key, limit in TEXT_INTEGRATION_KEYS.items():
        value = data.get(key)
        texts[key] = value.strip() if isinstance(value, str) else ""
        if value is not None and (not isinstance(value, str) or len(value.strip()) > limit):
            problems.append(f"{where}: integration.{key}: must be a string of at most {limit} characters")
    if texts["docs"]:
        try:
            URLValidator(schemes=["http", "https"])(texts["docs"])
        except ValidationError:
            problems.append(f"{where}: integration.docs: {texts['docs']!r} is not an http(s) URL")
    if len(problems) > before:
        return None
    return IntegrationSpec(
        pattern=chosen["pattern"],
        direction=chosen["direction"],
        cadence=cadence,
        owner=owner,
        steward=steward.strip(),
        domains=lists["domains"],
        classification=lists["classification"],
        lifecycle=chosen["lifecycle"],
        protocol=texts["protocol"],
        endpoint=texts["endpoint"],
        docs=texts["docs"],
    )


def _validate_source(index: int, data: object, file_country: str, problems: list[str]) -> SourceSpec | None:
    if not isinstance(data, dict):
        problems.append(f"sources[{index}]: must be a map")
        return None
    code = data.get("code")
    where = f"source {code!r}" if isinstance(code, str) and code else f"sources[{index}]"
    before = len(problems)
    for key in sorted(set(data) - SOURCE_KEYS, key=str):
        problems.append(f"{where}: {key}: unknown key")
    for key in REQUIRED_SOURCE_KEYS:
        if key not in data:
            problems.append(f"{where}: {key}: required")
    if "code" in data and (not isinstance(code, str) or not _SLUG.match(code)):
        problems.append(f"{where}: code: {code!r} must be a slug (lower-case letters, digits, - and _)")
    name = data.get("name")
    if "name" in data and (not isinstance(name, str) or not name.strip()):
        problems.append(f"{where}: name: must be a non-empty string")
    kind = data.get("kind", SourceKind.OTHER.value)
    if kind not in SourceKind.values:
        problems.append(f"{where}: kind: {kind!r} is not one of {', '.join(SourceKind.values)}")
    trust = data.get("trust", 0.5)
    if isinstance(trust, bool) or not isinstance(trust, int | float) or not 0 <= trust <= 1:
        problems.append(f"{where}: trust: {trust!r} must be a number from 0 to 1")
    country = file_country
    if data.get("default_country") is not None:
        country = _country(data["default_country"])
        if country is None:
            problems.append(f"{where}: default_country: {data['default_country']!r} is not an ISO 3166 alpha-2 code")
    fields = {}
    for key in ("id_field", "updated_at_field"):
        value = data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str) or (key == "id_field" and "id_field" in data and not value.strip()):
            problems.append(f"{where}: {key}: must be a non-empty column name")
            value = ""
        fields[key] = value.strip()
    mapping = _validate_mapping(where, data.get("mapping"), problems) if "mapping" in data else {}
    integration = None
    if "integration" in data:
        integration = _validate_integration(where, data["integration"], problems)
    connector: dict = {}
    if "connector" in data:
        connector, found = connector_validate(
            data["connector"], where=where, updated_at_field=fields["updated_at_field"], id_field=fields["id_field"]
        )
        problems.extend(found)
    if len(problems) > before:
        return None
    return SourceSpec(
        code=code,
        name=name.strip(),
        kind=kind,
        trust=float(trust),
        default_country=country or "",
        id_field=fields["id_field"],
        updated_at_field=fields["updated_at_field"],
        mapping=mapping,
        integration=integration,
        connector=connector,
    )


def catalog_parse(data: object) -> Catalog:
    """Validate a loaded catalog document; raises `CatalogError` listing every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise CatalogError(["catalog: the file must be a map with a 'sources' list"])
    for key in sorted(set(data) - TOP_KEYS, key=str):
        problems.append(f"catalog: {key}: unknown key")
    file_country = ""
    if data.get("default_country") is not None:
        file_country = _country(data["default_country"]) or ""
        if not file_country:
            problems.append(f"catalog: default_country: {data['default_country']!r} is not an ISO 3166 alpha-2 code")
    sources = data.get("sources")
    if not isinstance(sources, list) or not sources:
        problems.append("catalog: sources: must be a non-empty list")
        sources = []
    codes = [item.get("code") for item in sources if isinstance(item, dict) and isinstance(item.get("code"), str)]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"source {code!r}: code: appears more than once in the file")
    specs = []
    for index, item in enumerate(sources):
        spec = _validate_source(index, item, file_country, problems)
        if spec is not None:
            specs.append(spec)
    if problems:
        raise CatalogError(problems)
    return Catalog(default_country=file_country, sources=specs)


def catalog_read(path: Path) -> Catalog:
    """Read and validate a catalog file (YAML, or JSON, which is valid YAML)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError([f"{path}: cannot be read ({exc})"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError([f"{path}: not valid YAML: {exc}"]) from exc
    return catalog_parse(data)


class _FlowList(list):
    """A list written on one line, as the catalog documents `domains: [customer]`."""


class _FlowMap(dict):
    """A mapping written on one line, as in `{field: Birthdate, format: "%m/%d/%Y"}`."""


class _CatalogDumper(yaml.SafeDumper):
    pass


_CatalogDumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)
_CatalogDumper.add_representer(
    _FlowMap, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)
)


def _integration_document(spec: IntegrationSpec) -> dict[str, object]:
    doc: dict[str, object] = {
        "pattern": spec.pattern,
        "direction": spec.direction,
        "cadence": format_duration(spec.cadence),
    }
    optional = {
        "owner": spec.owner,
        "steward": spec.steward,
        "domains": _FlowList(spec.domains),
        "classification": _FlowList(spec.classification),
    }
    doc.update({key: value for key, value in optional.items() if value})
    doc["lifecycle"] = spec.lifecycle
    doc.update({key: getattr(spec, key) for key in TEXT_INTEGRATION_KEYS if getattr(spec, key)})
    return doc


def _source_document(spec: SourceSpec) -> dict[str, object]:
    doc: dict[str, object] = {"code": spec.code, "name": spec.name, "kind": spec.kind, "trust": spec.trust}
    if spec.default_country:
        doc["default_country"] = spec.default_country
    doc["id_field"] = spec.id_field
    if spec.updated_at_field:
        doc["updated_at_field"] = spec.updated_at_field
    mapping: dict[str, object] = {}
    for attribute in sorted(spec.mapping, key=CANONICAL_ATTRIBUTES.index):
        column, fmt = spec.mapping[attribute]["field"], spec.mapping[attribute].get("format")
        mapping[attribute] = _FlowMap(field=column, format=fmt) if fmt else column
    doc["mapping"] = mapping
    if spec.integration is not None:
        doc["integration"] = _integration_document(spec.integration)
    if spec.connector:
        doc["connector"] = connector_document(spec.connector)
    return doc


def catalog_dump(catalog: Catalog) -> str:
    """The catalog file (SPEC §2) for a catalog, the inverse of `catalog_parse`.

    Deterministic: sources by code, keys in the documented order, mapping in canonical attribute
    order, optional keys only when set; so exporting twice gives the same text, and parsing it
    gives back an equal catalog.
    """
    document: dict[str, object] = {}
    if catalog.default_country:
        document["default_country"] = catalog.default_country
    document["sources"] = [_source_document(spec) for spec in sorted(catalog.sources, key=lambda s: s.code)]
    header = "# Source catalog (SPEC §2), written by `manage.py export_catalog`.\n"
    body = yaml.dump(document, Dumper=_CatalogDumper, sort_keys=False, allow_unicode=True, width=120)
    return header + body
