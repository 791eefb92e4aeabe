"""Reads of the governance app: the catalog, observed health, scorecards, findings and history.

Health is computed live from import batches (every file import, and later every API write or
event batch, is an `ImportBatch` of its source), so pages and the API always show the state of
now; the scheduled health check only turns breaches into findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.db.models.lookups import Exact
from django.utils import timezone

from connectors.choices import BatchStatus
from connectors.models import ImportBatch, SourceRecord, SourceSystem
from connectors.policies import WRITE_REFUSED_PREFIX
from connectors.pull.config import VIRTUALIZATION
from connectors.standardisation import CANONICAL_ATTRIBUTES
from governance.catalog import Catalog, IntegrationSpec, SourceSpec
from governance.choices import Freshness, IntegrationDirection, IntegrationPattern, Lifecycle, Severity
from governance.constants import (
    DEPRECATED_WRITES_WINDOW,
    GAP_SAMPLE,
    HISTORY_DAYS,
    RATES_WINDOW,
    SUGGESTION_PERCENTILE,
    TRUST_MIN_RECORDS,
    TRUST_STEP,
    TRUST_TOLERANCE,
    TRUST_WEIGHTS,
)
from governance.health import freshness_of, gaps_between, percentile, suggest_cadence
from governance.models import Finding, Integration, ObjectChange, PolicyRule
from governance.rules import RULES
from profiles.choices import CustomerEventKind, CustomerStatus, Decision, ValueRule
from profiles.constants import ADDRESS, ADDRESS_PARTS, DERIVED_ATTRIBUTES, GOLDEN_ATTRIBUTES
from profiles.models import Customer, CustomerEvent, GoldenAttribute, MatchPair, SurvivorshipRule

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
                connector=source.connector or {},
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
    last_run_status: str | None = None  # of the latest finished run (succeeded or failed)

    @property
    def failing(self) -> bool:
        """The latest finished run failed: whatever the source sends now does not arrive."""
        return self.last_run_status == BatchStatus.FAILED

    @property
    def at_risk(self) -> bool:
        """Stale or failing: the golden values it supplies may be out of date (see blast radius)."""
        return self.freshness == Freshness.STALE or self.failing

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
    last_run = (
        ImportBatch.objects.filter(source=OuterRef("pk"), status__in=[BatchStatus.SUCCEEDED, BatchStatus.FAILED])
        .order_by("-started_at", "-id")
        .values("status")[:1]
    )
    rows = sources.values("pk", "integration__cadence").annotate(
        last_success_at=Max("batches__finished_at", filter=Q(batches__status=BatchStatus.SUCCEEDED)),
        last_attempt_at=Max("batches__started_at"),
        runs=Count("batches", filter=finished),
        failed_runs=Count("batches", filter=recent & Q(batches__status=BatchStatus.FAILED)),
        rows_read=Coalesce(Sum("batches__rows_read", filter=finished), 0),
        rejected=Coalesce(Sum("batches__rejected", filter=finished), 0),
        last_run_status=Subquery(last_run),
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
            last_run_status=row["last_run_status"],
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


# ---------------------------------------------------------------------------------------------
# Consumers: the systems that read golden records (Backstage: they *consume* them)


@dataclass(frozen=True)
class Consumer:
    """A system that receives golden records: a webhook subscription or a read-scope API token."""

    kind: str  # "webhook" or "api-token"
    name: str
    target: str  # the webhook's URL, or the token's recognisable prefix
    active: bool
    source_code: str | None = None  # the source a webhook subscription syncs into
    events: tuple[str, ...] = ()  # webhook event types; empty = all
    last_used_at: datetime | None = None

    @property
    def ref(self) -> str:
        """Backstage-style reference, e.g. `webhook:billing-sync`."""
        return f"{self.kind}:{self.name}"


def _optional_model(app_label: str, name: str) -> type | None:
    """A model of another app, or None while that app does not define it (consumers are optional)."""
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def consumer_list(*, include_inactive: bool = False) -> list[Consumer]:
    """Every consumer of golden records: webhook subscriptions (connectors) and read-scope API
    tokens (access). Two queries; either kind is simply absent if its app does not define it."""
    consumers: list[Consumer] = []
    subscription_model = _optional_model("connectors", "WebhookSubscription")
    if subscription_model is not None:
        subscriptions = subscription_model.objects.select_related("source").order_by("name", "pk")
        if not include_inactive:
            subscriptions = subscriptions.filter(active=True)
        consumers.extend(
            Consumer(
                kind="webhook",
                name=s.name,
                target=s.url,
                active=s.active,
                source_code=s.source.code if s.source_id else None,
                events=tuple(s.event_types or ()),
            )
            for s in subscriptions
        )
    token_model = _optional_model("access", "ApiToken")
    if token_model is not None:
        tokens = token_model.objects.filter(scope="read").order_by("name", "pk")
        if not include_inactive:
            tokens = tokens.filter(revoked_at__isnull=True)
        consumers.extend(
            Consumer(
                kind="api-token",
                name=t.name,
                target=f"{t.key_prefix}…",
                active=t.revoked_at is None,
                last_used_at=t.last_used_at,
            )
            for t in tokens
        )
    return consumers


def source_consumer_relations(*, source: SourceSystem, consumers: list[Consumer]) -> list[tuple[str, str]]:
    """Backstage relations of a source's integration with consumers: a webhook subscription that
    syncs golden records into this source means the source *consumes* them."""
    return [("consumes", f"golden records via {c.ref}") for c in consumers if c.source_code == source.code]


# ---------------------------------------------------------------------------------------------
# Survivorship figures and the source trust suggestion


@dataclass(frozen=True)
class AttributeWins:
    """How one attribute of one source fares in survivorship."""

    attribute: str
    supplied: int  # live golden records to which the source brings a valid value of the attribute
    won: int  # golden values whose provenance is the source (by a rule, not a pin)
    pins: int  # steward pins on the attribute of golden records the source supplies
    overruled: int  # of those, pins replacing the source's value (none of its records holds the pinned value)

    @property
    def win_share(self) -> float | None:
        return _share(self.won, self.supplied)

    @property
    def overrule_share(self) -> float | None:
        return _share(self.overruled, self.pins)


@dataclass(frozen=True)
class SurvivorshipFigures:
    """A source's survivorship wins and the stewards' verdicts on its values and its links."""

    attributes: list[AttributeWins]
    decided_pairs: int  # match pairs involving its records decided by a steward
    rejected_pairs: int  # of those, decided no-match
    linked: int  # its active records linked into golden records
    split_off: int  # its records moved out of a golden record by a steward split (not undone)

    @property
    def supplied(self) -> int:
        return sum(a.supplied for a in self.attributes)

    @property
    def won(self) -> int:
        return sum(a.won for a in self.attributes)

    @property
    def pins(self) -> int:
        return sum(a.pins for a in self.attributes)

    @property
    def overruled(self) -> int:
        return sum(a.overruled for a in self.attributes)

    @property
    def win_share(self) -> float | None:
        return _share(self.won, self.supplied)

    @property
    def overrule_share(self) -> float | None:
        """Of the pins stewards placed where this source had a say, the share that replaced its value."""
        return _share(self.overruled, self.pins)

    @property
    def rejection_rate(self) -> float | None:
        """Share of its steward-decided match pairs decided no-match."""
        return _share(self.rejected_pairs, self.decided_pairs)

    @property
    def split_rate(self) -> float | None:
        """Share of its linked records that stewards split off their golden record."""
        return _share(self.split_off, self.linked)

    @property
    def link_rejection_rate(self) -> float | None:
        """Links the stewards undid: no-match decisions and split-off records, over all such verdicts."""
        return _share(self.rejected_pairs + self.split_off, self.decided_pairs + self.split_off)


# Attributes a survivorship rule decides (full_name is derived from the surviving given and family names).
SURVIVING_ATTRIBUTES = tuple(a for a in GOLDEN_ATTRIBUTES if a not in DERIVED_ATTRIBUTES)


def _value_of(attribute: str) -> object:
    """A record's canonical value as text, comparable with a pinned value (dates in ISO 8601)."""
    if attribute == "date_of_birth":
        return Cast(attribute, CharField())
    return F(attribute)


@dataclass(frozen=True)
class ProvenanceCounts:
    """What a source contributes to golden records now."""

    values: dict[str, int]  # golden values from it, by attribute (pins on its records and derived ones too)
    wins: dict[str, int]  # of those, chosen by a survivorship rule (not pinned, not derived)
    customers: int | None = None  # golden records holding at least one value from it, when counted


def provenance_counts(*, source: SourceSystem, with_customers: bool = False) -> ProvenanceCounts:
    """Golden values whose provenance is the source, by attribute (one GROUP BY), and, when asked,
    the golden records holding them (one more scan: COUNT over SELECT DISTINCT).

    Golden attributes exist only for live golden records (they are cleared when a record is merged
    away or deleted, and `check_integrity` verifies that provenance points at linked records), so
    no join with the customers is needed.
    """
    rows = GoldenAttribute.objects.filter(source=source)
    values: dict[str, int] = {}
    wins: dict[str, int] = {}
    grouped = rows.values("attribute").annotate(
        n=Count("id"), won=Count("id", filter=Q(pinned=False) & ~Q(rule=ValueRule.DERIVED))
    )
    for row in grouped:
        values[row["attribute"]] = row["n"]
        if row["won"] and row["attribute"] not in DERIVED_ATTRIBUTES:
            wins[row["attribute"]] = row["won"]
    customers = rows.values("customer_id").distinct().count() if with_customers else None
    values = dict(sorted(values.items(), key=lambda item: _canonical_index(item[0])))
    return ProvenanceCounts(values=values, wins=wins, customers=customers)


def survivorship_figures(
    *, source: SourceSystem, provenance: ProvenanceCounts | None = None, linked: int | None = None
) -> SurvivorshipFigures:
    """Wins, pins, match decisions and splits of one source: set-based aggregates, whatever the size.

    - supplied: per attribute, the live golden records to which one of the source's active linked
      records brings a valid value (COUNT DISTINCT over the source's records);
    - won: golden attribute rows whose provenance is the source, pins excluded (`provenance_counts`);
    - pins / overruled: pins on golden records the source supplies for that attribute, and those
      whose value none of the source's records holds — the steward replaced the source's value;
    - decided / rejected pairs: steward-decided match pairs with one of its records on either side;
    - split off: records of the source that steward splits (not undone) moved out of a golden record.

    `provenance` and `linked` (the scorecard's) are reused when the caller has them.
    """
    live = Q(customer__status=CustomerStatus.ACTIVE)
    records = SourceRecord.objects.filter(source=source, is_deleted=False)
    supplied_counts = records.filter(live).aggregate(
        **{a: Count("customer", distinct=True, filter=_filled(a)) for a in SURVIVING_ATTRIBUTES}
    )
    if linked is None:
        linked = records.filter(customer__isnull=False).count()
    won_counts = (provenance or provenance_counts(source=source)).wins
    pins, overruled = _pin_verdicts(source)
    decided = MatchPair.objects.filter(decision__in=[Decision.MATCH, Decision.NO_MATCH]).filter(
        Q(record_a__source=source) | Q(record_b__source=source)
    )
    pairs = decided.aggregate(decided=Count("id"), rejected=Count("id", filter=Q(decision=Decision.NO_MATCH)))
    attributes = [
        AttributeWins(
            attribute=a,
            supplied=supplied_counts[a],
            won=won_counts.get(a, 0),
            pins=pins[a],
            overruled=overruled[a],
        )
        for a in SURVIVING_ATTRIBUTES
        if supplied_counts[a] or won_counts.get(a)
    ]
    return SurvivorshipFigures(
        attributes=attributes,
        decided_pairs=pairs["decided"],
        rejected_pairs=pairs["rejected"],
        linked=linked,
        split_off=split_off_counts().get(source.pk, 0),
    )


def _pin_verdicts(source: SourceSystem) -> tuple[Counter[str], Counter[str]]:
    """Pins on live golden records where the source supplies a value of the pinned attribute, and
    those none of its records agrees with (the pin replaced its value), by attribute.

    One grouped query joining the pins to the source's records of the same golden record: per pin,
    whether any record has a value of the pinned attribute and whether any holds the pinned value.
    """
    pin = "customer__pins__"
    supplied_when = [When(Q(**{f"{pin}attribute": a}) & _filled(a), then=1) for a in SURVIVING_ATTRIBUTES]
    kept_when = [
        When(Q(**{f"{pin}attribute": a}) & Exact(_value_of(a), F(f"{pin}value")), then=1) for a in SURVIVING_ATTRIBUTES
    ]
    rows = (
        SourceRecord.objects.filter(
            source=source, is_deleted=False, customer__status=CustomerStatus.ACTIVE, customer__pins__isnull=False
        )
        .values(f"{pin}id", f"{pin}attribute")
        .annotate(
            supplied=Max(Case(*supplied_when, default=0, output_field=IntegerField())),
            kept=Max(Case(*kept_when, default=0, output_field=IntegerField())),
        )
        .filter(supplied=1)
        .values_list(f"{pin}attribute", "kept")
    )
    pins: Counter[str] = Counter()
    overruled: Counter[str] = Counter()
    for attribute, kept in rows:
        pins[attribute] += 1
        if not kept:
            overruled[attribute] += 1
    return pins, overruled


def split_off_counts() -> dict[int, int]:
    """Records moved out of golden records by steward splits that were not undone, by source id.

    Splits are stewards' deliberate acts (a handful a day, not a table scan of records): their
    events' record lists are read, then counted by source in one grouped query per 5,000 ids.
    """
    moved: set[int] = set()
    events = CustomerEvent.objects.filter(kind=CustomerEventKind.SPLIT, reverted_by__isnull=True)
    for parameters in events.values_list("parameters", flat=True):
        if isinstance(parameters, dict) and parameters.get("steward"):
            moved.update(int(r) for r in parameters.get("records") or [] if str(r).isdigit())
    counts: Counter[int] = Counter()
    ordered = sorted(moved)
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        counts.update(
            dict(
                SourceRecord.objects.filter(pk__in=chunk)
                .values("source")
                .annotate(n=Count("id"))
                .values_list("source", "n")
            )
        )
    return dict(counts)


@dataclass(frozen=True)
class TrustSuggestion:
    """A trust for survivorship derived from what the source's records show, with its reasons."""

    current: float
    suggested: float | None  # None: too little evidence
    components: list[tuple[str, float, float]]  # (what, score 0..1, weight)
    evidence: int  # active records measured

    @property
    def differs(self) -> bool:
        return self.suggested is not None and abs(self.suggested - self.current) >= TRUST_TOLERANCE - 1e-9


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def trust_suggestion(*, source: SourceSystem, scorecard: Scorecard, figures: SurvivorshipFigures) -> TrustSuggestion:
    """The weighted mean of what the records show about the source, rounded to 0.05:

    - validity: the mean validity of its validated attributes (weight 0.3);
    - completeness: the mean completeness of its mapped attributes (0.2);
    - values kept: 1 − the share of stewards' pins where it had a say that replaced its value (0.25);
    - links kept: 1 − the share of stewards' link verdicts on its records that undid a link
      (no-match decisions and split-off records) (0.25).

    A component with nothing to measure is left out and the others reweighted. The survivorship
    win share is shown but not used: it follows from the trust itself (highest-trust and
    trust-decay rules), so feeding it back would only entrench the current trust.
    """
    parts: list[tuple[str, float | None, float]] = [
        ("validity", _mean([a.validity for a in scorecard.attributes if a.validated]), TRUST_WEIGHTS["validity"]),
        ("completeness", _mean([a.completeness for a in scorecard.attributes]), TRUST_WEIGHTS["completeness"]),
        (
            "values kept by stewards",
            None if figures.overrule_share is None else 1 - figures.overrule_share,
            TRUST_WEIGHTS["values"],
        ),
        (
            "links kept by stewards",
            None if figures.link_rejection_rate is None else 1 - figures.link_rejection_rate,
            TRUST_WEIGHTS["links"],
        ),
    ]
    components = [(name, score, weight) for name, score, weight in parts if score is not None]
    total = sum(weight for _, _, weight in components)
    suggested = None
    if scorecard.active >= TRUST_MIN_RECORDS and total:
        score = sum(s * w for _, s, w in components) / total
        suggested = min(1.0, max(0.0, round(round(score / TRUST_STEP) * TRUST_STEP, 2)))
    return TrustSuggestion(current=source.trust, suggested=suggested, components=components, evidence=scorecard.active)


# ---------------------------------------------------------------------------------------------
# Lineage: canonical attribute ← source fields, survivorship rule, consumers


@dataclass(frozen=True)
class FieldFeed:
    """One source column feeding a canonical attribute (through the source's mapping)."""

    source_code: str
    source_name: str
    field: str
    format: str
    via: str = ""  # e.g. "full_name": the column is split into given and family names
    virtual: bool = False  # the source is virtual: its identity columns are synced, the rest fetched live


@dataclass(frozen=True)
class RuleSummary:
    """The survivorship rule that picks an attribute's golden value."""

    name: str  # the rule's attribute ("address" for the address parts), or "" for a derived value
    strategy: str
    detail: str


@dataclass(frozen=True)
class AttributeLineage:
    attribute: str
    feeds: list[FieldFeed]
    rule: RuleSummary
    consumers: list[Consumer]


@dataclass(frozen=True)
class FieldLineage:
    """The reverse: one source column, the attributes it feeds, their rules and consumers."""

    field: str
    format: str
    attributes: list[tuple[str, str]]  # (attribute, how: "mapped" or "split from full_name")
    rules: list[RuleSummary]


def _rule_summaries() -> dict[str, RuleSummary]:
    """The survivorship rule of every golden attribute (address parts share the address rule)."""
    rules = {r.attribute: r for r in SurvivorshipRule.objects.all()}
    summaries: dict[str, RuleSummary] = {}
    for attribute in GOLDEN_ATTRIBUTES:
        if attribute in DERIVED_ATTRIBUTES:
            summaries[attribute] = RuleSummary("", "derived", "the surviving given name + family name")
            continue
        name = ADDRESS if attribute in ADDRESS_PARTS else attribute
        rule = rules.get(name)
        if rule is None:
            summaries[attribute] = RuleSummary(name, "none", "no survivorship rule defined")
            continue
        detail = []
        if rule.source_priority:
            detail.append("priority " + " > ".join(rule.source_priority))
        if rule.min_trust:
            detail.append(f"min trust {rule.min_trust:g}")
        if rule.strategy == "trust-decay":
            detail.append(f"decays to {rule.decay_floor:g}× over {rule.decay_days} days ({rule.decay_curve})")
        if name == ADDRESS:
            detail.append("street, city, postcode and state survive together")
        summaries[attribute] = RuleSummary(name, rule.get_strategy_display(), "; ".join(detail))
    return summaries


def source_is_virtual(source: SourceSystem) -> bool:
    """A virtual source (connector kind `virtualization`): only its identity attributes (id,
    updated-at, mapped columns) are stored; every other field of its payload is fetched live."""
    return (source.connector or {}).get("kind") == VIRTUALIZATION


def _feeds_of(source: SourceSystem) -> dict[str, list[FieldFeed]]:
    """The attributes a source's mapping feeds, with the columns; a full-name column also feeds
    the given and family names (the project splits it)."""
    feeds: dict[str, list[FieldFeed]] = {}
    virtual = source_is_virtual(source)
    for attribute, spec in (source.mapping or {}).items():
        column = spec.get("field", "") if isinstance(spec, dict) else str(spec)
        fmt = spec.get("format", "") if isinstance(spec, dict) else ""
        feeds.setdefault(attribute, []).append(FieldFeed(source.code, source.name, column, fmt or "", virtual=virtual))
        if attribute == "full_name":
            for part in ("given_name", "family_name"):
                feed = FieldFeed(source.code, source.name, column, fmt or "", via=attribute, virtual=virtual)
                feeds.setdefault(part, []).append(feed)
    return feeds


def attribute_lineage_list(*, consumers: list[Consumer] | None = None) -> list[AttributeLineage]:
    """For each canonical attribute: the source columns feeding it, its rule, the consumers receiving it.

    Every consumer receives every golden attribute: webhook events and the customer API carry the
    whole golden record.
    """
    consumers = consumer_list() if consumers is None else consumers
    rules = _rule_summaries()
    feeds: dict[str, list[FieldFeed]] = {}
    for source in SourceSystem.objects.order_by("code"):
        for attribute, items in _feeds_of(source).items():
            feeds.setdefault(attribute, []).extend(items)
    return [
        AttributeLineage(attribute=a, feeds=feeds.get(a, []), rule=rules[a], consumers=consumers)
        for a in GOLDEN_ATTRIBUTES
    ]


def source_field_lineage(*, source: SourceSystem) -> list[FieldLineage]:
    """For each mapped column of a source: the canonical attributes it feeds and their rules."""
    rules = _rule_summaries()
    by_field: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for attribute, items in _feeds_of(source).items():
        for feed in items:
            how = f"split from {feed.via}" if feed.via else "mapped"
            by_field.setdefault((feed.field, feed.format), []).append((attribute, how))
    lineage = []
    for (column, fmt), attributes in by_field.items():
        attributes.sort(key=lambda item: _canonical_index(item[0]))
        lineage.append(
            FieldLineage(field=column, format=fmt, attributes=attributes, rules=[rules[a] for a, _ in attributes])
        )
    lineage.sort(key=lambda f: min(_canonical_index(a) for a, _ in f.attributes))
    return lineage


@dataclass(frozen=True)
class ValueLineage:
    """Where one golden value came from: the winning source record, the rule and what decided it."""

    attribute: str
    value: str
    source_code: str | None
    source_name: str | None
    record_id: int | None
    external_id: str | None
    rule: str
    rule_label: str
    decided_by: str
    pinned: bool
    conflict: bool
    competing: list[dict]


def customer_lineage(*, customer: Customer) -> list[ValueLineage]:
    """Value-level lineage of one golden record, from its golden attributes' provenance: one query."""
    rows = GoldenAttribute.objects.filter(customer=customer).select_related("source", "source_record")
    lineage = [
        ValueLineage(
            attribute=row.attribute,
            value=row.value,
            source_code=row.source.code if row.source_id else None,
            source_name=row.source.name if row.source_id else None,
            record_id=row.source_record_id,
            external_id=row.source_record.external_id if row.source_record_id else None,
            rule=row.rule,
            rule_label=row.get_rule_display(),
            decided_by=row.decided_by,
            pinned=row.pinned,
            conflict=row.conflict,
            competing=list(row.competing or []),
        )
        for row in rows
    ]
    lineage.sort(key=lambda v: _canonical_index(v.attribute))
    return lineage


def customer_for_lineage(pk: int) -> Customer | None:
    return Customer.objects.filter(pk=pk).first()


# ---------------------------------------------------------------------------------------------
# Blast radius: what a stale or failing source puts at risk


@dataclass(frozen=True)
class BlastRadius:
    """The golden records whose surviving values come from a source, and who receives them."""

    customers: int
    values: list[tuple[str, int]]  # (attribute, golden values supplied), canonical order
    consumers: list[Consumer]

    def describe(self) -> str:
        """One sentence for a finding's message."""
        names = ", ".join(c.ref for c in self.consumers[:5]) + (" …" if len(self.consumers) > 5 else "")
        received = f"received by {len(self.consumers)} consumer(s): {names}" if self.consumers else "no consumers"
        return f"blast radius: {self.customers} golden record(s) take surviving values from it, {received}"


def blast_radius_customers(*, source: SourceSystem) -> QuerySet[Customer]:
    """Live golden records holding at least one value supplied by the source, by id."""
    supplied = GoldenAttribute.objects.filter(source=source).values("customer_id")
    return Customer.objects.filter(status=CustomerStatus.ACTIVE, pk__in=supplied).order_by("pk")


def blast_radius_get(
    *,
    source: SourceSystem,
    consumers: list[Consumer] | None = None,
    provenance: ProvenanceCounts | None = None,
) -> BlastRadius:
    """The golden records and values the source supplies (`provenance_counts`), and the consumers
    receiving them."""
    if provenance is None or provenance.customers is None:
        provenance = provenance_counts(source=source, with_customers=True)
    return BlastRadius(
        customers=provenance.customers,
        values=sorted(provenance.values.items(), key=lambda item: _canonical_index(item[0])),
        consumers=consumer_list() if consumers is None else consumers,
    )


def source_list() -> QuerySet[SourceSystem]:
    return SourceSystem.objects.order_by("code")


def open_finding_counts_by_source() -> dict[int, dict[str, int]]:
    """Open findings by source id and severity, in one grouped query."""
    counts: dict[int, dict[str, int]] = {}
    rows = Finding.objects.filter(resolved_at__isnull=True).values("source_id", "severity").annotate(n=Count("id"))
    for row in rows:
        counts.setdefault(row["source_id"], {})[row["severity"]] = row["n"]
    return counts
