"""Integration health as plain functions: freshness, cadence statistics and a suggested cadence.

No database here: selectors gather the timestamps, these functions judge them, so the thresholds
are defined once and tested at their exact boundaries.

Definitions (lag = now - last successful sync, cadence = the declared longest expected gap):
- **fresh**: lag <= cadence;
- **late**: cadence < lag <= LATE_FACTOR x cadence;
- **stale**: lag > LATE_FACTOR x cadence;
- **never synced**: no successful sync at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from governance.choices import Freshness
from governance.constants import LATE_FACTOR, LOOSE_FACTOR, MIN_GAPS, SUGGESTION_PERCENTILE

# Cadences people declare, shortest first: a suggestion is rounded up to the next of these.
CADENCE_STEPS: tuple[timedelta, ...] = tuple(
    timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720)
) + tuple(timedelta(days=d) for d in (1, 2, 3, 7, 14, 28))


def freshness_of(*, last_success_at: datetime | None, cadence: timedelta, now: datetime) -> Freshness:
    """Judge the time since the last successful sync against the declared cadence."""
    if last_success_at is None:
        return Freshness.NEVER
    lag = now - last_success_at
    if lag <= cadence:
        return Freshness.FRESH
    if lag <= cadence * LATE_FACTOR:
        return Freshness.LATE
    return Freshness.STALE


def gaps_between(times: Sequence[datetime]) -> list[timedelta]:
    """The gaps between consecutive sync times, whatever order they come in."""
    ordered = sorted(times)
    return [later - earlier for earlier, later in zip(ordered, ordered[1:], strict=False)]


def percentile(values: Sequence[timedelta], q: float) -> timedelta | None:
    """Nearest-rank percentile (q in 0..100): an observed gap, never an interpolated one."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def round_cadence(span: timedelta) -> timedelta:
    """Round a span up to a cadence people declare (PT5M, PT1H, P1D…); past four weeks, whole weeks."""
    for step in CADENCE_STEPS:
        if span <= step:
            return step
    week = timedelta(weeks=1)
    return week * math.ceil(span / week)


def suggest_cadence(gaps: Sequence[timedelta], declared: timedelta) -> timedelta | None:
    """A better cadence than the declared one, or None when the declared one fits the history.

    The suggestion is the 90th percentile of the gaps between successful syncs, rounded up to a
    common cadence. The declared cadence is wrong when more than a tenth of the gaps overrun it
    (the percentile is longer), or when it is at least LOOSE_FACTOR times the suggestion, so loose
    that a stopped integration would go unnoticed for long. Fewer than MIN_GAPS gaps prove nothing.
    """
    if len(gaps) < MIN_GAPS:
        return None
    p90 = percentile(gaps, SUGGESTION_PERCENTILE)
    suggestion = round_cadence(p90)
    if suggestion == declared:
        return None
    if p90 > declared or declared >= suggestion * LOOSE_FACTOR:
        return suggestion
    return None
