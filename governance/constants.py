"""Thresholds and windows of integration health, and the schedules governance declares."""

from datetime import timedelta

# Freshness: fresh while the time since the last successful sync is at most the declared
# cadence, late up to LATE_FACTOR times the cadence, stale beyond.
LATE_FACTOR = 3

# Error and quarantine rates look at the recent past; the health chart at a longer one.
RATES_WINDOW = timedelta(days=7)
HISTORY_DAYS = 30

# Observed cadence and the suggested one come from the gaps between the most recent
# successful syncs; fewer gaps than MIN_GAPS say nothing reliable about a cadence.
GAP_SAMPLE = 200
MIN_GAPS = 5
SUGGESTION_PERCENTILE = 90
# A declared cadence this many times longer than the suggested one hides a stoppage for too long.
LOOSE_FACTOR = 4

# Deprecated integrations: write attempts older than this no longer keep a finding open.
DEPRECATED_WRITES_WINDOW = timedelta(days=30)

# Periodic work, created idempotently after every `migrate` and by `manage.py governance_schedule`.
HEALTH_CHECK_SCHEDULE = {
    "name": "governance-health-check",
    "func": "governance.tasks.health_check_task",
    "minutes": 5,
}

# Source trust suggestion (selectors.trust_suggestion): weights of what the records show, the
# step the suggestion is rounded to, the smallest difference worth applying, and the fewest
# active records a suggestion is made on.
TRUST_WEIGHTS = {"validity": 0.3, "completeness": 0.2, "values": 0.25, "links": 0.25}
TRUST_STEP = 0.05
TRUST_TOLERANCE = 0.05
TRUST_MIN_RECORDS = 5

# Blast radius: golden records listed per page on the integration page.
BLAST_RADIUS_PAGE_SIZE = 25
