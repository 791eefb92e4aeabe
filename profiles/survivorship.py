"""Survivorship strategies: pick a golden value among the candidate values of linked source records.

Plain functions over plain data, no database, so that every strategy and tie-break can be tested
on its own. Each strategy orders the candidates by a key of named parts — the strategy's own
criterion first, then explicit tie-breaks — and the lowest record id always comes last, so the
choice is deterministic. The result says which part of the key decided against the best
competing value (`decided_by`), which is what a steward needs to trust or question a value.

Rules every strategy follows:
- values flagged invalid at ingest never win (they are listed among the competing values);
- with a minimum trust, only sources at or above it compete, unless none has a value;
- a steward's pin wins over any strategy until it is removed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from profiles.choices import DecayCurve, SurvivorshipStrategy, ValueRule

SOLE_VALUE = "sole value"
TIE_BREAK = "tie-break: "
PINNED = "pinned by a steward"


@dataclass(slots=True)
class Candidate:
    """One source record's value of one attribute."""

    value: str
    record_id: int
    source: str
    trust: float
    updated_at: datetime | None
    received_at: datetime
    invalid: str = ""  # why ingest rejected the value; empty when it is valid
    # When the value was last known true: updated-at, else received-at (as a POSIX timestamp).
    stamp: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.stamp < 0:
            self.stamp = (self.updated_at or self.received_at).timestamp()

    @property
    def seen_at(self) -> datetime:
        return self.updated_at or self.received_at


@dataclass(frozen=True, slots=True)
class Rule:
    """A survivorship rule as the strategies see it (the SurvivorshipRule model, detached)."""

    strategy: str
    source_priority: tuple[str, ...] = ()
    min_trust: float = 0.0
    decay_days: float = 730.0
    decay_floor: float = 0.5
    decay_curve: str = DecayCurve.LINEAR
    flag_conflicts: bool = False


@dataclass(frozen=True, slots=True)
class Pin:
    """A steward's value; `record_id`/`source` when it was picked from a source record."""

    value: str
    record_id: int | None = None
    source: str | None = None


@dataclass(slots=True)
class Survivor:
    """The outcome for one attribute."""

    value: str
    winner: Candidate | None
    rule: str
    decided_by: str
    competing: list[Candidate]
    conflict: bool
    pin: Pin | None = None

    @property
    def record_id(self) -> int | None:
        if self.pin is not None:
            return self.pin.record_id
        return self.winner.record_id if self.winner else None

    @property
    def source(self) -> str | None:
        if self.pin is not None:
            return self.pin.source
        return self.winner.source if self.winner else None


@lru_cache(maxsize=1 << 17)
def normalise(value: str) -> str:
    """Values that differ only by case or spacing are the same value."""
    return " ".join(value.casefold().split())


def decayed_trust(trust: float, age_days: float, *, period_days: float, floor: float, curve: str) -> float:
    """A source's trust lowered by the age of its value, Informatica-style: full trust when fresh,
    `trust * floor` once the value is `period_days` old or older, along the curve in between
    (linear; RISL: rapid initial, slow later; SIRL: slow initial, rapid later). Values from the
    future (clock skew) count as fresh."""
    if age_days <= 0:
        return trust
    x = 1.0 if period_days <= 0 else min(age_days / period_days, 1.0)
    if curve == DecayCurve.RISL:
        x = 1.0 - (1.0 - x) ** 2
    elif curve == DecayCurve.SIRL:
        x = x * x
    return trust - trust * (1.0 - floor) * x


Key = tuple[float, ...]
KeyFunc = Callable[[Candidate], Key]


def _names(strategy: str) -> tuple[str, ...]:
    return {
        SurvivorshipStrategy.SOURCE_PRIORITY: ("source priority", "source trust", "most recent", "lowest record id"),
        SurvivorshipStrategy.MOST_RECENT: ("most recent", "source trust", "lowest record id"),
        SurvivorshipStrategy.HIGHEST_TRUST: ("source trust", "most recent", "lowest record id"),
        SurvivorshipStrategy.TRUST_DECAY: ("decayed trust", "most recent", "lowest record id"),
        SurvivorshipStrategy.MOST_COMPLETE: ("most complete", "source trust", "most recent", "lowest record id"),
        SurvivorshipStrategy.MOST_FREQUENT: (
            "most frequent",
            "records",
            "source trust",
            "most recent",
            "lowest record id",
        ),
    }[strategy]


def _key_function(rule: Rule, now: datetime) -> KeyFunc:
    """The ordering of candidates under a rule (smaller is better)."""
    strategy = rule.strategy
    if strategy == SurvivorshipStrategy.SOURCE_PRIORITY:
        rank = {code: i for i, code in enumerate(rule.source_priority)}
        unlisted = len(rank)
        return lambda c: (rank.get(c.source, unlisted), -c.trust, -c.stamp, c.record_id)
    if strategy == SurvivorshipStrategy.MOST_RECENT:
        return lambda c: (-c.stamp, -c.trust, c.record_id)
    if strategy == SurvivorshipStrategy.HIGHEST_TRUST:
        return lambda c: (-c.trust, -c.stamp, c.record_id)
    if strategy == SurvivorshipStrategy.TRUST_DECAY:
        reference = now.timestamp()

        def decayed(c: Candidate) -> Key:
            age = (reference - c.stamp) / 86400.0
            effective = decayed_trust(
                c.trust, age, period_days=rule.decay_days, floor=rule.decay_floor, curve=rule.decay_curve
            )
            # Rounded so that float noise never decides between equally trusted values.
            return (-round(effective, 9), -c.stamp, c.record_id)

        return decayed
    if strategy == SurvivorshipStrategy.MOST_COMPLETE:
        return lambda c: (-len(c.value.strip()), -c.trust, -c.stamp, c.record_id)
    raise ValueError(f"unknown survivorship strategy {strategy!r}")


def _deciding_part(best: Key, runner_up: Key, names: Sequence[str]) -> str:
    for i, (a, b) in enumerate(zip(best, runner_up, strict=True)):
        if a != b:
            return names[i] if i == 0 else TIE_BREAK + names[i]
    return TIE_BREAK + names[-1]


def _most_frequent(eligible: list[Candidate], norms: list[str]) -> tuple[Candidate, str]:
    """The value held by the most sources (then records, trust, recency, lowest id); its
    representative is the group's most trusted, then most recent, then lowest-id record."""
    groups: dict[str, list[Candidate]] = {}
    for c, norm in zip(eligible, norms, strict=True):
        groups.setdefault(norm, []).append(c)
    ranked = []
    for members in groups.values():
        key = (
            -len({c.source for c in members}),
            -len(members),
            -max(c.trust for c in members),
            -max(c.stamp for c in members),
            min(c.record_id for c in members),
        )
        ranked.append((key, members))
    ranked.sort(key=lambda item: item[0])
    best_key, members = ranked[0]
    representative = min(members, key=lambda c: (-c.trust, -c.stamp, c.record_id))
    if len(ranked) == 1:
        return representative, SOLE_VALUE
    return representative, _deciding_part(best_key, ranked[1][0], _names(SurvivorshipStrategy.MOST_FREQUENT))


class Strategy:
    """A rule made ready for one moment (trust decay depends on the time): survivorship of any
    number of attributes under it, without rebuilding the ordering each time."""

    __slots__ = ("frequent", "key", "names", "rule")

    def __init__(self, rule: Rule, now: datetime) -> None:
        self.rule = rule
        self.frequent = rule.strategy == SurvivorshipStrategy.MOST_FREQUENT
        self.key = None if self.frequent else _key_function(rule, now)
        self.names = _names(rule.strategy)

    def _ranked(self, eligible: list[Candidate], norms: list[str]) -> tuple[Candidate, str]:
        key = self.key
        if len(set(norms)) == 1:
            return (eligible[0] if len(eligible) == 1 else min(eligible, key=key)), SOLE_VALUE
        keyed = sorted(zip(map(key, eligible), norms, eligible, strict=True), key=lambda item: item[0])
        best_key, chosen, best = keyed[0]
        runner_up = next(k for k, norm, _ in keyed if norm != chosen)
        return best, _deciding_part(best_key, runner_up, self.names)

    def survive(self, candidates: list[Candidate], pin: Pin | None = None) -> Survivor:
        """The golden value of one attribute, with what competed and whether they conflict."""
        rule = self.rule
        valid = [c for c in candidates if c.value and not c.invalid]
        norms = [normalise(c.value) for c in valid]
        conflict = rule.flag_conflicts and len(set(norms)) > 1
        if pin is not None:
            competing = [c for c in candidates if c.record_id != pin.record_id]
            return Survivor(pin.value, None, ValueRule.STEWARD_OVERRIDE, PINNED, competing, conflict, pin)
        if not valid:
            return Survivor("", None, rule.strategy, "", list(candidates), False)
        note = ""
        if rule.min_trust > 0:
            keep = [i for i, c in enumerate(valid) if c.trust >= rule.min_trust]
            if not keep:
                note = f" (no source at minimum trust {rule.min_trust:g})"
            elif len(keep) < len(valid):
                valid, norms = [valid[i] for i in keep], [norms[i] for i in keep]
        winner, decided_by = _most_frequent(valid, norms) if self.frequent else self._ranked(valid, norms)
        competing = [c for c in candidates if c is not winner]
        return Survivor(winner.value, winner, rule.strategy, decided_by + note, competing, conflict)


def survive(candidates: Iterable[Candidate], rule: Rule, *, now: datetime, pin: Pin | None = None) -> Survivor:
    """The golden value of one attribute under `rule`, with what competed and whether they conflict."""
    return Strategy(rule, now).survive(list(candidates), pin)


def is_fraction(value: object) -> bool:
    """Trust and decay settings are numbers in [0, 1]."""
    return isinstance(value, int | float) and math.isfinite(value) and 0.0 <= value <= 1.0
