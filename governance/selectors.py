"""Reads of the governance app: the catalog, observed health, scorecards, findings and history.

Health is computed live from import batches (every file import, and later every API write or
event batch, is an `ImportBatch` of its source), so pages and the API always show the state of
now; the scheduled health check only turns breaches into findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from connectors.choices import BatchStatus
from connectors.models import ImportBatch, SourceRecord, SourceSystem
from connectors.policies import WRITE_REFUSED_PREFIX
from connectors.standardisation import CANONICAL_ATTRIBUTES
from governance.catalog import Catalog, IntegrationSpec, SourceSpec
from governance.choices import Freshness, IntegrationDirection, IntegrationPattern, Lifecycle, Severity
from governance.constants import (
    DEPRECATED_WRITES_WINDOW,
    GAP_SAMPLE,
    HISTORY_DAYS,
    RATES_WINDOW,
    SUGGESTION_PERCENTILE,
)
from governance.health import freshness_of, gaps_between, percentile, suggest_cadence
from governance.models import Finding, Integration, ObjectChange, PolicyRule
from governance.rules import RULES

# Attributes whose raw values are validated on the way in, so that a validity share means something.
VALIDATED_ATTRIBUTES = ("email", "phone", "date_of_birth")


def _share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to measure (shown as "—", never as 0%)."""
    return part / whole if whole else None


def integration_of(source: SourceSystem) -> Integration | None:
    """The source's integration record, or None for an unregistered source."""
    try:
        return source.integration
    except Integration.DoesNotExist:
        return None


# ---------------------------------------------------------------------------------------------
# The catalog


def integration_list() -> QuerySet[Integration]:
    """Integrations with source, owner, domains and their count of open findings."""
    open_findings = (
        Finding.objects.filter(source=OuterRef("source"), resolved_at__isnull=True)
        .values("source")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Integration.objects.select_related("source", "owner")
        .prefetch_related("domains")
        .annotate(open_findings=Coalesce(Subquery(open_findings), 0))
        .order_by("source__code")
    )


def integration_source_get(code: str) -> SourceSystem | None:
    """A source by code with its integration, owner and domains: the subject of an integration page."""
    return (
        SourceSystem.objects.select_related("integration", "integration__owner")
        .prefetch_related("integration__domains")
        .filter(code=code)
        .first()
    )


def classification_values() -> list[str]:
    """Every classification label in use, for filters."""
    labels: set[str] = set()
    for values in Integration.objects.values_list("classification", flat=True):
        labels.update(v for v in values or [] if isinstance(v, str))
    return sorted(labels)


def integration_relations(integration: Integration) -> list[tuple[str, str]]:
    """The integration's relations in Backstage's vocabulary: (relation, target)."""
    relations = []
    if integration.owner_id:
        relations.append(("owned by", f"group:{integration.owner.slug}"))
    relations.extend(("part of", f"domain:{d.slug}") for d in integration.domains.all())
    if integration.direction in (IntegrationDirection.INBOUND, IntegrationDirection.BIDIRECTIONAL):
        relations.append(("provides", "source records to the MDM"))
    if integration.direction in (IntegrationDirection.OUTBOUND, IntegrationDirection.BIDIRECTIONAL):
        relations.append(("consumes", "golden records from the MDM"))
    return relations


def catalog_get() -> Catalog:
    """The whole catalog as held in the database, ready to be written as a file (`export_catalog`)."""
    sources = (
        SourceSystem.objects.select_related("integration", "integration__owner")
        .prefetch_related("integration__domains")
        .order_by("code")
    )
    specs = []
    for source in sources:
        integration = integration_of(source)
        spec = None
        if integration is not None:
            spec = IntegrationSpec(
                pattern=integration.pattern,
                direction=integration.direction,
                cadence=integration.cadence,
                owner=integration.owner.slug if integration.owner_id else None,
                steward=integration.steward,
                domains=sorted(d.slug for d in integration.domains.all()),
                classification=list(integration.classification or []),
                lifecycle=integration.lifecycle,
                protocol=integration.protocol,
                endpoint=integration.endpoint,
                docs=integration.docs_url,
            )
        mapping = {
            attribute: {"field": spec_["field"], "format": spec_.get("format")}
            for attribute, spec_ in (source.mapping or {}).items()
        }
        specs.append(
            SourceSpec(
                code=source.code,
                name=source.name,
                kind=source.kind,
                trust=source.trust,
                default_country=source.default_country,
                id_field=source.id_field,
                updated_at_field=source.updated_at_field,
                mapping=mapping,
                integration=spec,
            )
        )
    return Catalog(default_country="", sources=specs)


# ---------------------------------------------------------------------------------------------
# Observed health


@dataclass(frozen=True)
class SourceHealth:
    """A source's observed sync behaviour; `freshness` is None for an unregistered source (no cadence)."""

    source_id: int
    cadence: timedelta | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    freshness: Freshness | None
    lag: timedelta | None
    runs: int  # finished runs (succeeded or failed) in the rates window
    failed_runs: int
    rows_read: int
    rejected: int

    @property
    def error_rate(self) -> float | None:
        """Share of the window's finished runs that failed."""
        return _share(self.failed_runs, self.runs)

    @property
    def quarantine_rate(self) -> float | None:
        """Share of the window's rows read that were quarantined."""
        return _share(self.rejected, self.rows_read)


def source_health_map(
    *, now: datetime | None = None, sources: QuerySet[SourceSystem] | None = None
) -> dict[int, SourceHealth]:
    """The health of every source (or of those given), by source id, in one query."""
    now = now or timezone.now()
    recent = Q(batches__started_at__gte=now - RATES_WINDOW)
    finished = recent & Q(batches__status__in=[BatchStatus.SUCCEEDED, BatchStatus.FAILED])
    sources = SourceSystem.objects.all() if sources is None else sources
    rows = sources.values("pk", "integration__cadence").annotate(
        last_success_at=Max("batches__finished_at", filter=Q(batches__status=BatchStatus.SUCCEEDED)),
        last_attempt_at=Max("batches__started_at"),
        runs=Count("batches", filter=finished),
        failed_runs=Count("batches", filter=recent & Q(batches__status=BatchStatus.FAILED)),
        rows_read=Coalesce(Sum("batches__rows_read", filter=finished), 0),
        rejected=Coalesce(Sum("batches__rejected", filter=finished), 0),
    )
    health = {}
    for row in rows:
        cadence, last = row["integration__cadence"], row["last_success_at"]
        health[row["pk"]] = SourceHealth(
            source_id=row["pk"],
            cadence=cadence,
            last_success_at=last,
            last_attempt_at=row["last_attempt_at"],
            freshness=freshness_of(last_success_at=last, cadence=cadence, now=now) if cadence else None,
            lag=now - last if last else None,
            runs=row["runs"],
            failed_runs=row["failed_runs"],
            rows_read=row["rows_read"],
            rejected=row["rejected"],
        )
    return health


def source_health(*, source: SourceSystem, now: datetime | None = None) -> SourceHealth:
    return source_health_map(now=now, sources=SourceSystem.objects.filter(pk=source.pk))[source.pk]


@dataclass(frozen=True)
class CadenceStats:
    """The observed cadence: gaps between the most recent successful syncs."""

    syncs: int
    gaps: list[timedelta]
    typical: timedelta | None  # the median gap: the observed cadence
    p90: timedelta | None
    suggestion: timedelta | None  # a better declared cadence, when the declared one is wrong


def cadence_stats(*, integration: Integration) -> CadenceStats:
    times = list(
        ImportBatch.objects.filter(
            source_id=integration.source_id, status=BatchStatus.SUCCEEDED, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)[:GAP_SAMPLE]
    )
    gaps = gaps_between(times)
    return CadenceStats(
        syncs=len(times),
        gaps=gaps,
        typical=percentile(gaps, 50),
        p90=percentile(gaps, SUGGESTION_PERCENTILE),
        suggestion=suggest_cadence(gaps, integration.cadence),
    )


@dataclass(frozen=True)
class HealthDay:
    """One day of a source's syncs, for the health chart."""

    day: date
    runs: int
    succeeded: int
    failed: int
    rows_read: int
    rejected: int
    height: int  # 0..100, rows read relative to the busiest day

    @property
    def state(self) -> str:
        if not self.runs:
            return "none"
        if not self.failed:
            return "ok"
        return "failed" if not self.succeeded else "mixed"


def health_history(*, source: SourceSystem, now: datetime | None = None, days: int = HISTORY_DAYS) -> list[HealthDay]:
    """Runs, outcomes and volumes per day over the last `days` days (today included), oldest first."""
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=timezone.get_current_timezone())
    rows = {
        row["day"]: row
        for row in ImportBatch.objects.filter(source=source, started_at__gte=start)
        .annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(
            runs=Count("id"),
            succeeded=Count("id", filter=Q(status=BatchStatus.SUCCEEDED)),
            failed=Count("id", filter=Q(status=BatchStatus.FAILED)),
            rows_read=Coalesce(Sum("rows_read"), 0),
            rejected=Coalesce(Sum("rejected"), 0),
        )
        .order_by("day")
    }
    busiest = max((row["rows_read"] for row in rows.values()), default=0)
    history = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = rows.get(day, {"runs": 0, "succeeded": 0, "failed": 0, "rows_read": 0, "rejected": 0})
        height = round(100 * row["rows_read"] / busiest) if busiest else 0
        if row["runs"]:
            height = max(height, 2)  # a day with runs, even empty ones, stays visible
        history.append(
            HealthDay(
                day=day,
                runs=row["runs"],
                succeeded=row["succeeded"],
                failed=row["failed"],
                rows_read=row["rows_read"],
                rejected=row["rejected"],
                height=height,
            )
        )
    return history


@dataclass(frozen=True)
class DeprecatedWrites:
    """Write attempts on a deprecated integration since it was deprecated (within the window)."""

    since: datetime
    attempts: int
    accepted: int
    refused: int
    last_at: datetime | None


def deprecated_since(integration: Integration) -> datetime:
    """When the integration last became deprecated, from the change log.

    Integrations deprecated before the change log existed fall back to their last update.
    """
    changes = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Integration),
        object_id=integration.pk,
        after__lifecycle=Lifecycle.DEPRECATED,
    ).order_by("-time", "-id")
    for change in changes:
        if not change.before or change.before.get("lifecycle") != Lifecycle.DEPRECATED:
            return change.time
    return integration.updated_at


def deprecated_writes(*, integration: Integration, now: datetime | None = None) -> DeprecatedWrites:
    now = now or timezone.now()
    since = deprecated_since(integration)
    figures = ImportBatch.objects.filter(
        source_id=integration.source_id,
        started_at__gte=max(since, now - DEPRECATED_WRITES_WINDOW),
        started_at__lte=now,
    ).aggregate(
        attempts=Count("id"),
        accepted=Count("id", filter=Q(status=BatchStatus.SUCCEEDED)),
        refused=Count("id", filter=Q(error__startswith=WRITE_REFUSED_PREFIX)),
        last_at=Max("started_at"),
    )
    return DeprecatedWrites(since=since, **figures)


# ---------------------------------------------------------------------------------------------
# Source scorecards


@dataclass(frozen=True)
class AttributeScore:
    attribute: str
    column: str
    filled: int
    completeness: float | None  # share of active records with a value
    validated: bool
    valid: int
    invalid: int

    @property
    def validity(self) -> float | None:
        """Share of non-empty raw values that were not flagged invalid."""
        return _share(self.valid, self.valid + self.invalid) if self.validated else None


@dataclass(frozen=True)
class Scorecard:
    active: int
    attributes: list[AttributeScore]
    linked: int
    duplicated: int  # active records sharing their golden record with another record of the source

    @property
    def linked_share(self) -> float | None:
        return _share(self.linked, self.active)

    @property
    def duplicate_rate(self) -> float | None:
        return _share(self.duplicated, self.active)


def _filled(attribute: str) -> Q:
    field = SourceRecord._meta.get_field(attribute)
    return Q(**{f"{attribute}__isnull": False}) if field.null else ~Q(**{attribute: ""})


def source_scorecard(*, source: SourceSystem) -> Scorecard:
    """Completeness and validity of each mapped attribute, duplicates and links: two queries.

    A value that fails validation is kept in the raw payload, left empty in its canonical column
    and flagged in `quality_issues`; so the non-empty raw values of an attribute are its filled
    canonical values plus its flagged ones.
    """
    records = SourceRecord.objects.filter(source=source, is_deleted=False)
    mapped = sorted(source.mapping or {}, key=_canonical_index)
    aggregates = {"active": Count("id"), "linked": Count("id", filter=Q(customer__isnull=False))}
    for attribute in mapped:
        aggregates[f"filled_{attribute}"] = Count("id", filter=_filled(attribute))
        if attribute in VALIDATED_ATTRIBUTES:
            flagged = Q(quality_issues__has_key=attribute)
            aggregates[f"valid_{attribute}"] = Count("id", filter=_filled(attribute) & ~flagged)
            aggregates[f"invalid_{attribute}"] = Count("id", filter=flagged)
    figures = records.aggregate(**aggregates)
    duplicated = (
        records.filter(customer__isnull=False)
        .values("customer")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .aggregate(total=Coalesce(Sum("n"), 0))["total"]
    )
    attributes = [
        AttributeScore(
            attribute=attribute,
            column=source.mapping[attribute]["field"],
            filled=figures[f"filled_{attribute}"],
            completeness=_share(figures[f"filled_{attribute}"], figures["active"]),
            validated=attribute in VALIDATED_ATTRIBUTES,
            valid=figures.get(f"valid_{attribute}", 0),
            invalid=figures.get(f"invalid_{attribute}", 0),
        )
        for attribute in mapped
    ]
    return Scorecard(active=figures["active"], attributes=attributes, linked=figures["linked"], duplicated=duplicated)


def _canonical_index(attribute: str) -> int:
    return CANONICAL_ATTRIBUTES.index(attribute) if attribute in CANONICAL_ATTRIBUTES else len(CANONICAL_ATTRIBUTES)


# ---------------------------------------------------------------------------------------------
# Policies, findings and history


@dataclass(frozen=True)
class RuleState:
    """A rule as declared in code, with the administrator's switch applied."""

    code: str
    title: str
    description: str
    enabled: bool
    severity: str
    enforced_on_writes: bool
    open_findings: int = 0


def policy_rule_states(*, with_counts: bool = False) -> list[RuleState]:
    """Every declared rule with its switch; a rule without a row yet has its declared defaults."""
    rows = {r.code: r for r in PolicyRule.objects.all()}
    counts: Counter[str] = Counter()
    if with_counts:
        counts.update(
            dict(
                Finding.objects.filter(resolved_at__isnull=True)
                .values("rule__code")
                .annotate(n=Count("id"))
                .values_list("rule__code", "n")
            )
        )
    states = []
    for code, rule in RULES.items():
        row = rows.get(code)
        states.append(
            RuleState(
                code=code,
                title=rule.title,
                description=rule.description,
                enabled=row.enabled if row else True,
                severity=row.severity if row else rule.severity,
                enforced_on_writes=rule.enforced_on_writes,
                open_findings=counts[code],
            )
        )
    return states


def finding_list(*, source: SourceSystem | None = None, open_only: bool = False) -> QuerySet[Finding]:
    """Findings, of one source or all, open ones first."""
    findings = Finding.objects.select_related("rule", "source", "owner")
    if source is not None:
        findings = findings.filter(source=source)
    if open_only:
        findings = findings.filter(resolved_at__isnull=True)
    # Open ones first (NULLs sort differently by database, hence explicit), then latest resolved.
    return findings.order_by(F("resolved_at").desc(nulls_first=True), "-opened_at", "-id")


def open_finding_counts() -> dict[str, int]:
    """Open findings by severity, every severity present."""
    counts = dict(
        Finding.objects.filter(resolved_at__isnull=True)
        .values("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return {severity: counts.get(severity, 0) for severity in Severity.values}


def change_list(*, source: SourceSystem) -> QuerySet[ObjectChange]:
    """Changes to a source and to its integration record, newest first."""
    content_types = ContentType.objects.get_for_models(SourceSystem, Integration)
    query = Q(content_type=content_types[SourceSystem], object_id=source.pk)
    integration = integration_of(source)
    if integration is not None:
        query |= Q(content_type=content_types[Integration], object_id=integration.pk)
    return ObjectChange.objects.filter(query).select_related("content_type").order_by("-time", "-id")


@dataclass(frozen=True)
class Overview:
    integrations: int
    by_pattern: list[tuple[str, str, int]]  # (value, label, count)
    by_freshness: list[tuple[str, str, int]]
    by_lifecycle: list[tuple[str, str, int]]
    unregistered: list[SourceSystem]
    findings: dict[str, int]


def governance_overview(*, health: dict[int, SourceHealth]) -> Overview:
    """Counts of the whole catalog by pattern, lifecycle and health, and open findings by severity."""
    rows = list(Integration.objects.values_list("pattern", "lifecycle", "source_id"))
    patterns = Counter(p for p, _, _ in rows)
    lifecycles = Counter(lc for _, lc, _ in rows)
    freshness = Counter(health[s].freshness for _, _, s in rows if s in health)
    unregistered_ids = [pk for pk, h in health.items() if h.cadence is None]
    return Overview(
        integrations=len(rows),
        by_pattern=[(v, label, patterns[v]) for v, label in IntegrationPattern.choices],
        by_freshness=[(v, label, freshness[v]) for v, label in Freshness.choices],
        by_lifecycle=[(v, label, lifecycles[v]) for v, label in Lifecycle.choices],
        unregistered=list(SourceSystem.objects.filter(pk__in=unregistered_ids).order_by("code"))
        if unregistered_ids
        else [],
        findings=open_finding_counts(),
    )
