"""Applying a validated catalog (SPEC §2) to sources and integrations, with every change logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model

from connectors.models import SourceSystem
from connectors.pull.config import PULL_KINDS
from connectors.pull.schedules import sync_schedule_ensure
from governance.catalog import Catalog, CatalogError, IntegrationSpec, SourceSpec, catalog_read
from governance.choices import ChangeAction
from governance.models import DataDomain, Integration, Team
from governance.services.changes import object_change_record, object_snapshot


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


def _save_logged(instance: Model, *, before: dict[str, object] | None, actor: str) -> None:
    instance.full_clean()
    instance.save()
    object_change_record(
        instance=instance,
        action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
        before=before,
        actor=actor,
    )


def _by_slug(model: type[Team] | type[DataDomain], slug: str, actor: str) -> Team | DataDomain:
    """The team or domain of that slug, created (and logged) on first mention."""
    obj = model.objects.filter(slug=slug).first()
    if obj is None:
        obj = model(slug=slug)
        _save_logged(obj, before=None, actor=actor)
    return obj


def _source_apply(spec: SourceSpec, actor: str) -> tuple[SourceSystem, bool, bool]:
    """The source of the spec, and whether it was (created, changed)."""
    source = SourceSystem.objects.filter(code=spec.code).first()
    before = object_snapshot(source) if source is not None else None
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
            "connector": spec.connector,
        },
    )
    if changed or before is None:
        _save_logged(source, before=before, actor=actor)
    return source, before is None, changed


def _integration_apply(source: SourceSystem, spec: IntegrationSpec, actor: str) -> bool:
    owner = _by_slug(Team, spec.owner, actor) if spec.owner else None
    domains = [_by_slug(DataDomain, slug, actor) for slug in dict.fromkeys(spec.domains)]
    integration = Integration.objects.filter(source=source).first()
    before = object_snapshot(integration) if integration is not None else None
    integration = integration or Integration(source=source)
    changed = _assign(
        integration,
        {
            "pattern": spec.pattern,
            "direction": spec.direction,
            "cadence": spec.cadence,
            "owner": owner,
            "steward": spec.steward,
            "classification": spec.classification,
            "lifecycle": spec.lifecycle,
            "protocol": spec.protocol,
            "endpoint": spec.endpoint,
            "docs_url": spec.docs,
        },
    )
    if changed or before is None:
        integration.full_clean()
        integration.save()
    wanted = {d.slug for d in domains}
    if before is None or set(before["domains"]) != wanted:
        integration.domains.set(domains)
        changed = True
    if changed or before is None:
        object_change_record(
            instance=integration,
            action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE,
            before=before,
            actor=actor,
        )
    return changed or before is None


def catalog_apply(*, catalog: Catalog, actor: str = "system") -> CatalogLoadResult:
    """Create or update every source and integration of a validated catalog, all or nothing.

    Loading the same catalog twice changes nothing: rows are saved, and changes logged, only
    when a value differs. A value the database refuses (too long for its column) is reported
    like a validation problem, naming the source, and nothing is applied.
    """
    result = CatalogLoadResult()
    problems: list[str] = []
    with transaction.atomic():
        for spec in catalog.sources:
            try:
                with transaction.atomic():
                    source, created, changed = _source_apply(spec, actor)
                    if spec.integration is not None:
                        changed |= _integration_apply(source, spec.integration, actor)
            except ValidationError as exc:
                by_field = exc.message_dict if hasattr(exc, "error_dict") else {"value": exc.messages}
                for name, messages in by_field.items():
                    problems.extend(f"source {spec.code!r}: {name}: {m}" for m in messages)
                continue
            if created:
                result.created.append(spec.code)
            elif changed:
                result.updated.append(spec.code)
            else:
                result.unchanged.append(spec.code)
        if problems:
            raise CatalogError(problems)
        if any(spec.connector.get("kind") in PULL_KINDS for spec in catalog.sources):
            sync_schedule_ensure()  # pulls run from the every-minute schedule; idempotent
    return result


def catalog_load(*, path: Path, actor: str = "system") -> CatalogLoadResult:
    """Read, validate and apply a catalog file (SPEC §2 `load_catalog`)."""
    return catalog_apply(catalog=catalog_read(path), actor=actor)
