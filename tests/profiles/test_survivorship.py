"""Survivorship strategies and their tie-breaks, on plain data (no database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from profiles.choices import DecayCurve, SurvivorshipStrategy, ValueRule
from profiles.survivorship import SOLE_VALUE, Candidate, Pin, Rule, decayed_trust, survive

NOW = datetime(2026, 1, 1, tzinfo=UTC)
S = SurvivorshipStrategy


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def c(value, record_id, source="crm", trust=0.5, updated=None, received=None, invalid=""):
    """A candidate; `updated`/`received` in days ago (received defaults to a year ago)."""
    return Candidate(
        value,
        record_id,
        source,
        trust,
        None if updated is None else at(updated),
        at(365 if received is None else received),
        invalid,
    )


def pick(candidates, strategy, **rule):
    return survive(candidates, Rule(strategy=strategy, **rule), now=NOW)


# ---- source priority -------------------------------------------------------------------------


def test_source_priority_follows_the_ordered_list_not_trust():
    result = pick(
        [c("a@crm", 1, "crm", 0.9), c("a@erp", 2, "erp", 0.3)], S.SOURCE_PRIORITY, source_priority=("erp", "crm")
    )
    assert (result.value, result.record_id, result.source) == ("a@erp", 2, "erp")
    assert result.rule == S.SOURCE_PRIORITY
    assert result.decided_by == "source priority"


def test_source_priority_ranks_unlisted_sources_after_listed_ones_by_trust():
    candidates = [c("x", 1, "web", 0.99), c("y", 2, "shop", 0.4), c("z", 3, "crm", 0.1)]
    assert pick(candidates, S.SOURCE_PRIORITY, source_priority=("crm",)).value == "z"
    result = pick(candidates[:2], S.SOURCE_PRIORITY, source_priority=("crm",))
    assert (result.value, result.decided_by) == ("x", "tie-break: source trust")


def test_source_priority_breaks_ties_within_a_source_by_recency_then_record_id():
    newer = pick([c("old", 1, updated=30), c("new", 2, updated=3)], S.SOURCE_PRIORITY, source_priority=("crm",))
    assert (newer.value, newer.decided_by) == ("new", "tie-break: most recent")
    same_time = pick([c("b", 7, updated=3), c("a", 4, updated=3)], S.SOURCE_PRIORITY, source_priority=("crm",))
    assert (same_time.value, same_time.decided_by) == ("a", "tie-break: lowest record id")


# ---- most recent -----------------------------------------------------------------------------


def test_most_recent_takes_the_latest_updated_at():
    result = pick([c("old", 1, trust=0.9, updated=100), c("new", 2, trust=0.1, updated=1)], S.MOST_RECENT)
    assert (result.value, result.decided_by) == ("new", "most recent")


def test_most_recent_falls_back_to_received_at_without_updated_at():
    undated = c("received-yesterday", 1, received=1)
    dated = c("updated-last-month", 2, updated=30, received=400)
    assert pick([undated, dated], S.MOST_RECENT).value == "received-yesterday"
    stale = c("received-long-ago", 3, received=900)
    assert pick([stale, dated], S.MOST_RECENT).value == "updated-last-month"


def test_most_recent_ties_go_to_trust_then_lowest_record_id():
    by_trust = pick([c("low", 1, trust=0.2, updated=5), c("high", 2, trust=0.8, updated=5)], S.MOST_RECENT)
    assert (by_trust.value, by_trust.decided_by) == ("high", "tie-break: source trust")
    by_id = pick([c("second", 9, updated=5), c("first", 3, updated=5)], S.MOST_RECENT)
    assert (by_id.value, by_id.record_id, by_id.decided_by) == ("first", 3, "tie-break: lowest record id")


# ---- most frequent ---------------------------------------------------------------------------


def test_most_frequent_counts_sources_holding_the_value():
    result = pick(
        [
            c("1980-01-02", 1, "crm", 0.9),
            c("1980-02-01", 2, "erp", 0.5),
            c("1980-02-01", 3, "billing", 0.4),
        ],
        S.MOST_FREQUENT,
    )
    assert (result.value, result.decided_by) == ("1980-02-01", "most frequent")
    # The representative of the winning value is its most trusted record.
    assert result.record_id == 2


def test_most_frequent_counts_one_source_once_then_breaks_ties_by_records():
    duplicates = [c("A", 1, "crm"), c("A", 2, "crm"), c("B", 3, "erp")]
    result = pick(duplicates, S.MOST_FREQUENT)
    assert (result.value, result.decided_by) == ("A", "tie-break: records")


def test_most_frequent_ties_go_to_trust_recency_then_record_id():
    by_trust = pick([c("A", 1, "crm", 0.3), c("B", 2, "erp", 0.6)], S.MOST_FREQUENT)
    assert (by_trust.value, by_trust.decided_by) == ("B", "tie-break: source trust")
    by_recency = pick([c("A", 1, "crm", updated=9), c("B", 2, "erp", updated=2)], S.MOST_FREQUENT)
    assert (by_recency.value, by_recency.decided_by) == ("B", "tie-break: most recent")
    by_id = pick([c("B", 5, "erp"), c("A", 4, "crm")], S.MOST_FREQUENT)
    assert (by_id.value, by_id.decided_by) == ("A", "tie-break: lowest record id")


def test_most_frequent_treats_case_and_spacing_variants_as_one_value():
    result = pick([c("Smith", 1, "crm"), c(" SMITH ", 2, "erp"), c("Smyth", 3, "web", 0.9)], S.MOST_FREQUENT)
    assert result.value == "Smith"
    assert result.decided_by == "most frequent"


# ---- most complete ---------------------------------------------------------------------------


def test_most_complete_takes_the_longest_value():
    result = pick([c("Acme", 1, trust=0.9), c("Acme Pty Ltd", 2, trust=0.1)], S.MOST_COMPLETE)
    assert (result.value, result.decided_by) == ("Acme Pty Ltd", "most complete")


def test_most_complete_ties_go_to_trust_recency_then_record_id():
    assert pick([c("abcd", 1, trust=0.2), c("wxyz", 2, trust=0.7)], S.MOST_COMPLETE).value == "wxyz"
    by_recency = pick([c("abcd", 1, updated=9), c("wxyz", 2, updated=1)], S.MOST_COMPLETE)
    assert (by_recency.value, by_recency.decided_by) == ("wxyz", "tie-break: most recent")
    assert pick([c("wxyz", 8), c("abcd", 2)], S.MOST_COMPLETE).decided_by == "tie-break: lowest record id"


# ---- highest trust ---------------------------------------------------------------------------


def test_highest_trust_takes_the_most_trusted_source():
    result = pick([c("Bob", 1, "web", 0.4, updated=1), c("Robert", 2, "crm", 0.9, updated=900)], S.HIGHEST_TRUST)
    assert (result.value, result.source, result.decided_by) == ("Robert", "crm", "source trust")


def test_highest_trust_ties_go_to_recency_then_record_id():
    by_recency = pick([c("old", 1, trust=0.7, updated=50), c("new", 2, trust=0.7, updated=5)], S.HIGHEST_TRUST)
    assert (by_recency.value, by_recency.decided_by) == ("new", "tie-break: most recent")
    by_id = pick([c("x", 11, trust=0.7), c("y", 10, trust=0.7)], S.HIGHEST_TRUST)
    assert (by_id.value, by_id.decided_by) == ("y", "tie-break: lowest record id")


# ---- trust decay -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (-5, 0.8),  # from the future: fresh
        (0, 0.8),  # brand new: full trust
        (50, 0.8 - 0.8 * 0.75 * 0.5),  # half the period, linear: half the way to the floor
        (100, 0.2),  # exactly the period: the floor
        (5000, 0.2),  # long past it: still the floor, never below
    ],
)
def test_trust_decay_boundaries_linear(age, expected):
    assert decayed_trust(0.8, age, period_days=100, floor=0.25, curve=DecayCurve.LINEAR) == pytest.approx(expected)


def test_trust_decay_curves_differ_in_between_and_agree_at_the_ends():
    half = {curve: decayed_trust(1.0, 50, period_days=100, floor=0.0, curve=curve) for curve in DecayCurve.values}
    assert half[DecayCurve.RISL] == pytest.approx(0.25)  # rapid initial: 75% of the way down already
    assert half[DecayCurve.LINEAR] == pytest.approx(0.5)
    assert half[DecayCurve.SIRL] == pytest.approx(0.75)  # slow initial: 25% of the way down
    for curve in DecayCurve.values:
        assert decayed_trust(1.0, 0, period_days=100, floor=0.0, curve=curve) == 1.0
        assert decayed_trust(1.0, 100, period_days=100, floor=0.0, curve=curve) == pytest.approx(0.0)


def test_trust_decay_with_no_period_drops_to_the_floor_at_once():
    assert decayed_trust(0.9, 0.001, period_days=0, floor=0.5, curve=DecayCurve.LINEAR) == pytest.approx(0.45)


def test_trust_decay_lets_a_fresh_lower_trust_value_beat_a_stale_trusted_one():
    rule = {"decay_days": 365, "decay_floor": 0.5, "decay_curve": DecayCurve.LINEAR}
    stale_trusted = c("+61 stale", 1, "crm", 0.9, updated=365)  # decayed to 0.45
    fresh_marketing = c("+61 fresh", 2, "marketing", 0.5, updated=0)
    result = pick([stale_trusted, fresh_marketing], S.TRUST_DECAY, **rule)
    assert (result.value, result.decided_by) == ("+61 fresh", "decayed trust")
    # While the trusted value is recent it still wins.
    recent_trusted = c("+61 recent", 1, "crm", 0.9, updated=30)
    assert pick([recent_trusted, fresh_marketing], S.TRUST_DECAY, **rule).value == "+61 recent"


def test_trust_decay_ties_go_to_recency_then_record_id():
    rule = {"decay_days": 10, "decay_floor": 0.5}
    # Both past the period: both at the floor, so the more recent one wins.
    result = pick([c("a", 1, trust=0.8, updated=40), c("b", 2, trust=0.8, updated=20)], S.TRUST_DECAY, **rule)
    assert (result.value, result.decided_by) == ("b", "tie-break: most recent")
    same = pick([c("b", 6, trust=0.8, updated=20), c("a", 5, trust=0.8, updated=20)], S.TRUST_DECAY, **rule)
    assert (same.value, same.decided_by) == ("a", "tie-break: lowest record id")


# ---- invalid values, minimum trust, pins, conflicts ----------------------------------------


@pytest.mark.parametrize("strategy", S.values)
def test_values_flagged_invalid_at_ingest_never_win(strategy):
    invalid = c("not-an-email", 1, "crm", 1.0, updated=0, invalid="invalid email 'not-an-email'")
    valid = c("ok@example.com", 2, "web", 0.1, updated=900)
    result = pick([invalid, valid], strategy, source_priority=("crm", "web"))
    assert result.value == "ok@example.com"
    assert invalid in result.competing


def test_only_invalid_values_leave_the_attribute_empty_with_the_rejects_listed():
    rejected = c("", 1, invalid="invalid date '31/02/1990'")
    result = pick([rejected], S.HIGHEST_TRUST)
    assert (result.value, result.winner, result.conflict) == ("", None, False)
    assert result.competing == [rejected]


def test_minimum_trust_keeps_untrusted_sources_out():
    result = pick(
        [c("new@web", 1, "web", 0.5, updated=1), c("old@crm", 2, "crm", 0.9, updated=200)], S.MOST_RECENT, min_trust=0.6
    )
    assert (result.value, result.decided_by) == ("old@crm", SOLE_VALUE)


def test_minimum_trust_falls_back_to_any_source_when_none_reaches_it():
    result = pick(
        [c("a@web", 1, "web", 0.5, updated=9), c("b@web", 2, "web", 0.5, updated=1)], S.MOST_RECENT, min_trust=0.6
    )
    assert result.value == "b@web"
    assert result.decided_by == "most recent (no source at minimum trust 0.6)"


@pytest.mark.parametrize("strategy", S.values)
def test_a_pin_wins_over_every_strategy(strategy):
    candidates = [c("1980-01-02", 1, "crm", 0.9, updated=0), c("1980-01-02", 2, "erp", 0.9, updated=0)]
    result = survive(
        candidates, Rule(strategy=strategy, source_priority=("crm",)), now=NOW, pin=Pin("1981-03-04", None, None)
    )
    assert (result.value, result.rule, result.record_id) == ("1981-03-04", ValueRule.STEWARD_OVERRIDE, None)
    assert result.competing == candidates
    picked = survive(candidates, Rule(strategy=strategy), now=NOW, pin=Pin("1980-01-02", 2, "erp"))
    assert (picked.record_id, picked.source) == (2, "erp")
    assert [x.record_id for x in picked.competing] == [1]


def test_conflicts_are_flagged_only_by_rules_that_ask_and_only_between_valid_values():
    different = [c("1980-01-02", 1, "crm"), c("1980-02-01", 2, "erp")]
    assert pick(different, S.MOST_FREQUENT, flag_conflicts=True).conflict
    assert not pick(different, S.MOST_FREQUENT).conflict
    variants = [c("Smith", 1), c("SMITH", 2), c("", 3, invalid="no letters in name '123'")]
    assert not pick(variants, S.HIGHEST_TRUST, flag_conflicts=True).conflict


# ---- every strategy, on any input -----------------------------------------------------------

candidate_lists = st.lists(
    st.builds(
        c,
        value=st.sampled_from(["", "a", "A", "bb", "ccc"]),
        record_id=st.integers(1, 30),
        source=st.sampled_from(["crm", "erp", "web"]),
        trust=st.sampled_from([0.1, 0.5, 0.9]),
        updated=st.one_of(st.none(), st.sampled_from([0, 10, 400])),
        received=st.sampled_from([5, 500]),
        invalid=st.sampled_from(["", "", "rejected"]),
    ),
    max_size=8,
    unique_by=lambda x: x.record_id,
)


@settings(max_examples=300, deadline=None)
@given(candidate_lists, st.sampled_from(S.values), st.sampled_from([0.0, 0.6]), st.randoms(use_true_random=False))
def test_any_strategy_picks_a_valid_value_whatever_the_input_order(candidates, strategy, min_trust, rng):
    rule = Rule(strategy=strategy, source_priority=("erp", "crm"), min_trust=min_trust, decay_days=100)
    result = survive(candidates, rule, now=NOW)
    valid = [x for x in candidates if x.value and not x.invalid]
    if valid:
        assert result.winner in valid
        assert result.value == result.winner.value
    else:
        assert result.value == ""
    assert len(result.competing) == len(candidates) - (1 if result.winner else 0)
    shuffled = list(candidates)
    random.Random(rng.random()).shuffle(shuffled)
    again = survive(shuffled, rule, now=NOW)
    assert (again.value, again.record_id, again.decided_by) == (result.value, result.record_id, result.decided_by)
