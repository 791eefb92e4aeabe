"""Writes of the governance app: applying a validated catalog to sources and integrations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Model

from connectors.models import SourceSystem
from governance.catalog import Catalog, IntegrationSpec, catalog_read
from governance.models import Integration, Team


@dataclass
class CatalogLoadResult:
    """What loading a catalog changed: source codes by outcome."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": len(self.unchanged)}


def _assign(instance: Model, values: dict[str, object]) -> bool:
    """Set fields that differ; True when anything changed, so unchanged rows are not saved."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def catalog_apply(*, catalog: Catalog) -> CatalogLoadResult:
    """Create or update every source and integration of a validated catalog, all or nothing.

    Loading the same catalog twice changes nothing: rows are saved only when a value differs.
    """
    result = CatalogLoadResult()
    with transaction.atomic():
        for spec in catalog.sources:
            source = SourceSystem.objects.filter(code=spec.code).first()
            is_new = source is None
            source = source or SourceSystem(code=spec.code)
            changed = _assign(
                source,
                {
                    "name": spec.name,
                    "kind": spec.kind,
                    "trust": spec.trust,
                    "default_country": spec.default_country,
                    "id_field": spec.id_field,
                    "updated_at_field": spec.updated_at_field,
                    "mapping": spec.mapping,
                },
            )
            if changed:
                source.full_clean()
                source.save()
            if spec.integration is not None:
                changed |= _integration_apply(source, spec.integration)
            if is_new:
                result.created.append(spec.code)
            elif changed:
                result.updated.append(spec.code)
            else:
                result.unchanged.append(spec.code)
    return result


def _integration_apply(source: SourceSystem, spec: IntegrationSpec) -> bool:
    owner = None
    if spec.owner:
        owner, _ = Team.objects.get_or_create(slug=spec.owner)
    integration = Integration.objects.filter(source=source).first()
    is_new = integration is None
    integration = integration or Integration(source=source)
    changed = _assign(
        integration,
        {
            "pattern": spec.pattern,
            "direction": spec.direction,
            "cadence": spec.cadence,
            "owner": owner,
            "steward": spec.steward,
            "domains": spec.domains,
            "classification": spec.classification,
            "lifecycle": spec.lifecycle,
        },
    )
    if changed or is_new:
        integration.full_clean()
        integration.save()
    return changed or is_new


def catalog_load(*, path: Path) -> CatalogLoadResult:
    """Read, validate and apply a catalog file (SPEC §2 `load_catalog`)."""
    return catalog_apply(catalog=catalog_read(path))
