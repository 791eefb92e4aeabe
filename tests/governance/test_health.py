"""Observed health: freshness at its exact boundaries, rates, history per day, cadence suggestions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connectors.choices import BatchStatus
from connectors.models import SourceSystem
from governance.choices import Freshness
from governance.health import freshness_of, gaps_between, percentile, round_cadence, suggest_cadence
from governance.selectors import cadence_stats, health_history, source_health, source_health_map
from tests.governance.conftest import NOW

M = timedelta(minutes=1)
H = timedelta(hours=1)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("lag", "expected"),
    [
        (timedelta(0), Freshness.FRESH),
        (5 * M - TICK, Freshness.FRESH),
        (5 * M, Freshness.FRESH),  # exactly the cadence: still fresh
        (5 * M + TICK, Freshness.LATE),
        (15 * M, Freshness.LATE),  # exactly 3x the cadence: still late
        (15 * M + TICK, Freshness.STALE),
        (timedelta(days=400), Freshness.STALE),
        (-M, Freshness.FRESH),  # a sync stamped slightly in the future (clock skew)
    ],
)
def test_freshness_boundaries(lag, expected):
    assert freshness_of(last_success_at=NOW - lag, cadence=5 * M, now=NOW) == expected


def test_never_synced():
    assert freshness_of(last_success_at=None, cadence=5 * M, now=NOW) == Freshness.NEVER


def test_gaps_and_nearest_rank_percentiles():
    times = [NOW + k * M for k in (0, 1, 3, 6, 10)]  # gaps 1, 2, 3, 4 minutes, given out of order
    assert gaps_between(list(reversed(times))) == [M, 2 * M, 3 * M, 4 * M]
    tens = [k * M for k in range(1, 11)]
    assert percentile(tens, 90) == 9 * M
    assert percentile(tens, 50) == 5 * M
    assert percentile(tens, 100) == 10 * M
    assert percentile([7 * M], 90) == 7 * M
    assert percentile([], 90) is None


@pytest.mark.parametrize(
    ("span", "rounded"),
    [
        (timedelta(0), M),
        (4 * M + 30 * timedelta(seconds=1), 5 * M),
        (5 * M, 5 * M),
        (5 * M + TICK, 10 * M),
        (50 * M, H),
        (5 * H, 6 * H),
        (13 * H, timedelta(days=1)),
        (25 * H, timedelta(days=2)),
        (timedelta(days=4), timedelta(days=7)),
        (timedelta(days=30), timedelta(days=35)),  # past four weeks: whole weeks
    ],
)
def test_cadence_rounds_up_to_a_common_one(span, rounded):
    assert round_cadence(span) == rounded


class TestSuggestCadence:
    def test_too_few_gaps_prove_nothing(self):
        assert suggest_cadence([H] * 4, 5 * M) is None

    def test_declared_too_tight(self):
        assert suggest_cadence([H] * 10, 5 * M) == H

    def test_declared_fits(self):
        assert suggest_cadence([55 * M] * 10, H) is None

    def test_one_overrun_in_ten_is_tolerated_two_are_not(self):
        assert suggest_cadence([5 * M] * 9 + [20 * M], 5 * M) is None
        assert suggest_cadence([5 * M] * 8 + [20 * M] * 2, 5 * M) == 30 * M

    def test_declared_too_loose(self):
        assert suggest_cadence([H] * 10, timedelta(days=1)) == H
        assert suggest_cadence([H] * 10, 4 * H) == H  # exactly LOOSE_FACTOR times
        assert suggest_cadence([H] * 10, 3 * H) is None  # loose, but not enough to matter


@pytest.mark.django_db
class TestObservedHealth:
    def test_last_success_rates_and_freshness(self, sources, make_batch):
        crm = sources["crm"]
        make_batch(crm, finished_at=NOW - timedelta(days=10), rows_read=1000, rejected=1000)  # outside the 7-day window
        make_batch(crm, finished_at=NOW - 10 * M, rows_read=10, rejected=1)
        make_batch(crm, finished_at=NOW - 5 * M, status=BatchStatus.FAILED, rows_read=20, rejected=2)
        make_batch(crm, finished_at=None, status=BatchStatus.RUNNING, rows_read=500, started_at=NOW - M)
        health = source_health(source=crm, now=NOW)
        assert health.last_success_at == NOW - 10 * M
        assert health.last_attempt_at == NOW - M
        assert health.lag == 10 * M
        assert health.freshness == Freshness.LATE  # 10 minutes against PT5M
        assert (health.runs, health.failed_runs) == (2, 1)
        assert health.error_rate == 0.5
        assert (health.rows_read, health.rejected) == (30, 3)
        assert health.quarantine_rate == pytest.approx(0.1)

    def test_never_synced_and_unregistered(self, sources, make_batch):
        make_batch(sources["erp"], finished_at=NOW - M, status=BatchStatus.FAILED)
        orphan = SourceSystem.objects.create(code="orphan", name="Orphan", id_field="id")
        health = source_health_map(now=NOW)
        assert health[sources["erp"].pk].freshness == Freshness.NEVER
        assert health[sources["erp"].pk].error_rate == 1.0
        assert health[orphan.pk].freshness is None
        assert health[orphan.pk].error_rate is None  # nothing measured: not 0%
        assert health[orphan.pk].quarantine_rate is None

    def test_history_per_day(self, sources, make_batch):
        crm = sources["crm"]
        make_batch(crm, finished_at=NOW - H, rows_read=100, rejected=5)  # today
        make_batch(crm, finished_at=NOW - H, status=BatchStatus.FAILED, rows_read=0)
        make_batch(crm, finished_at=NOW - timedelta(days=2), rows_read=50)
        make_batch(crm, finished_at=NOW - timedelta(days=3), status=BatchStatus.FAILED, rows_read=0)
        make_batch(crm, finished_at=NOW - timedelta(days=31), rows_read=999)  # before the chart
        days = health_history(source=crm, now=NOW)
        assert len(days) == 30
        assert days[-1].day == date(2026, 3, 2)
        assert days[0].day == date(2026, 2, 1)
        today, two_ago, three_ago, one_ago = days[-1], days[-3], days[-4], days[-2]
        assert (today.runs, today.succeeded, today.failed, today.rows_read, today.rejected) == (2, 1, 1, 100, 5)
        assert (today.height, today.state) == (100, "mixed")
        assert (two_ago.height, two_ago.state) == (50, "ok")
        assert (three_ago.height, three_ago.state) == (2, "failed")  # runs but no rows: kept visible
        assert (one_ago.height, one_ago.state, one_ago.runs) == (0, "none", 0)

    def test_cadence_stats_and_suggestion(self, sources, make_batch):
        crm = sources["crm"]
        for k in range(7):
            make_batch(crm, finished_at=NOW - k * H)
        make_batch(crm, finished_at=NOW - 30 * M, status=BatchStatus.FAILED)  # failures are not syncs
        stats = cadence_stats(integration=crm.integration)
        assert stats.syncs == 7
        assert stats.gaps == [H] * 6
        assert (stats.typical, stats.p90) == (H, H)
        assert stats.suggestion == H  # declared PT5M, observed hourly
