"""Read-only invariant checks over golden records, xrefs, redirects, provenance and the change log.

`manage.py check_integrity` runs them after faults, concurrency tests and restores (SPEC §3).
Every check is one set-based SQL statement (no per-row Python), so it stays fast at a million
records; each returns how many rows break it and the first few ids, so an operator can look.
Nothing here writes.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from django.db import connection

from connectors.models import SourceRecord
from profiles.choices import CustomerStatus
from profiles.models import Customer, CustomerChange, GoldenAttribute

EXAMPLES = 10
# A redirect chain longer than this is reported as a cycle: merges rewrite older redirects to
# point straight at the survivor, so real chains have one hop.
MAX_REDIRECT_HOPS = 64


@dataclass
class Violation:
    """One broken invariant: its name, what it means, how many rows break it, a few of them."""

    check: str
    message: str
    count: int
    examples: list[object] = field(default_factory=list)

    def __str__(self) -> str:
        shown = ", ".join(str(e) for e in self.examples)
        more = ", …" if self.count > len(self.examples) else ""
        return f"{self.check}: {self.count} — {self.message} (e.g. {shown}{more})"


@dataclass
class IntegrityReport:
    """The outcome of every check; `ok` when nothing is violated (pending records are not)."""

    violations: list[Violation]
    pending: int
    counts: dict[str, int]
    checks: list[str]
    timings: dict[str, float]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "violations": [asdict(v) for v in self.violations],
            "pending": self.pending,
            **self.counts,
            "checks": self.checks,
            "timings": self.timings,
            "seconds": self.seconds,
        }


def _tables() -> dict[str, str]:
    return {
        "record": SourceRecord._meta.db_table,
        "customer": Customer._meta.db_table,
        "change": CustomerChange._meta.db_table,
        "attribute": GoldenAttribute._meta.db_table,
    }


ACTIVE, RETIRED = CustomerStatus.ACTIVE.value, CustomerStatus.RETIRED.value

# name -> (message, SQL returning (example, total) rows ordered by example, parameters)
# Each SQL selects the offending key and COUNT(*) OVER () so one statement gives both the
# total and the first examples.
CHECKS: dict[str, tuple[str, str, tuple[object, ...]]] = {
    "record_unlinked": (
        "resolved, active source records linked to no golden record",
        """SELECT r.id, COUNT(*) OVER () FROM {record} r
           WHERE r.is_deleted = %s AND r.pending_resolution = %s AND r.customer_id IS NULL
           ORDER BY r.id LIMIT {limit}""",
        (False, False),
    ),
    "record_on_dead_golden": (
        "resolved, active source records linked to a golden record that is not live (retired or deleted)",
        """SELECT r.id, COUNT(*) OVER () FROM {record} r JOIN {customer} c ON c.id = r.customer_id
           WHERE r.is_deleted = %s AND r.pending_resolution = %s AND c.status <> %s
           ORDER BY r.id LIMIT {limit}""",
        (False, False, ACTIVE),
    ),
    "deleted_record_linked": (
        "deleted source records still linked to a golden record",
        """SELECT r.id, COUNT(*) OVER () FROM {record} r
           WHERE r.is_deleted = %s AND r.customer_id IS NOT NULL
           ORDER BY r.id LIMIT {limit}""",
        (True,),
    ),
    "redirect_broken": (
        "retired ids whose redirect chain cycles or does not end at a live golden record",
        """WITH RECURSIVE walk(start_id, node_id, hops) AS (
               SELECT c.id, c.merged_into_id, 1 FROM {customer} c WHERE c.status = %s
             UNION ALL
               SELECT w.start_id, c.merged_into_id, w.hops + 1 FROM walk w JOIN {customer} c ON c.id = w.node_id
               WHERE c.status = %s AND w.hops < {hops}
           )
           SELECT w.start_id, COUNT(*) OVER () FROM walk w LEFT JOIN {customer} n ON n.id = w.node_id
           WHERE n.id IS NULL OR (n.status <> %s AND (n.status <> %s OR w.hops >= {hops}))
           ORDER BY w.start_id LIMIT {limit}""",
        (RETIRED, RETIRED, ACTIVE, RETIRED),
    ),
    "live_golden_redirected": (
        "live or deleted golden records that carry a redirect (only retired ids redirect)",
        """SELECT c.id, COUNT(*) OVER () FROM {customer} c
           WHERE c.status <> %s AND c.merged_into_id IS NOT NULL ORDER BY c.id LIMIT {limit}""",
        (RETIRED,),
    ),
    "change_log_gap": (
        "missing sequence numbers in the change log (shown as first-last of each hole)",
        """SELECT CAST(g.first_missing AS VARCHAR(40)) || '-' || CAST(g.last_missing AS VARCHAR(40)),
                  COUNT(*) OVER () FROM (
               SELECT COALESCE(LAG(sequence) OVER (ORDER BY sequence), 0) + 1 AS first_missing,
                      sequence - 1 AS last_missing
               FROM {change}
           ) g WHERE g.last_missing >= g.first_missing
           ORDER BY g.first_missing LIMIT {limit}""",
        (),
    ),
    "provenance_unlinked": (
        "golden values whose provenance names a source record not linked (or deleted) to that golden record",
        """SELECT a.id, COUNT(*) OVER () FROM {attribute} a JOIN {record} r ON r.id = a.source_record_id
           WHERE r.customer_id IS NULL OR r.customer_id <> a.customer_id OR r.is_deleted = %s
           ORDER BY a.id LIMIT {limit}""",
        (True,),
    ),
    "golden_without_records": (
        "live golden records holding no active source record (their last record should have marked them deleted)",
        """SELECT c.id, COUNT(*) OVER () FROM {customer} c
           WHERE c.status = %s AND NOT EXISTS (
               SELECT 1 FROM {record} r WHERE r.customer_id = c.id AND r.is_deleted = %s)
           ORDER BY c.id LIMIT {limit}""",
        (ACTIVE, False),
    ),
}


def integrity_check(*, examples: int = EXAMPLES) -> IntegrityReport:
    """Run every check and count what is pending; read-only, one statement per check."""
    started = time.perf_counter()
    tables = _tables()
    violations: list[Violation] = []
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        for name, (message, sql, params) in CHECKS.items():
            clock = time.perf_counter()
            cursor.execute(sql.format(**tables, limit=int(examples), hops=MAX_REDIRECT_HOPS), params)
            rows = cursor.fetchall()
            timings[name] = round(time.perf_counter() - clock, 3)
            if rows:
                violations.append(Violation(name, message, int(rows[0][1]), [row[0] for row in rows]))
        cursor.execute(
            f"""SELECT COUNT(*),
                       COALESCE(SUM(CASE WHEN pending_resolution = %s THEN 1 ELSE 0 END), 0)
                FROM {tables["record"]} WHERE is_deleted = %s""",
            (True, False),
        )
        active_records, pending = cursor.fetchone()
        cursor.execute(f"SELECT status, COUNT(*) FROM {tables['customer']} GROUP BY status ORDER BY status")
        by_status = dict(cursor.fetchall())
        cursor.execute(f"SELECT COUNT(*), COALESCE(MAX(sequence), 0) FROM {tables['change']}")
        changes, last_sequence = cursor.fetchone()
    counts = {
        "records": int(active_records),
        "golden_records": int(by_status.get(ACTIVE, 0)),
        "retired": int(by_status.get(RETIRED, 0)),
        "deleted_golden_records": int(by_status.get(CustomerStatus.DELETED.value, 0)),
        "changes": int(changes),
        "last_sequence": int(last_sequence),
    }
    return IntegrityReport(
        violations=violations,
        pending=int(pending),
        counts=counts,
        checks=list(CHECKS),
        timings=timings,
        seconds=round(time.perf_counter() - started, 3),
    )
