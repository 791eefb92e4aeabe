"""Constants of the profiles app: which attributes survive how, and the defaults of the rules."""

from __future__ import annotations

from connectors.standardisation import CANONICAL_ATTRIBUTES
from profiles.choices import DecayCurve, SurvivorshipStrategy

# Every golden attribute, in display order.
GOLDEN_ATTRIBUTES: tuple[str, ...] = CANONICAL_ATTRIBUTES
# Golden values also kept as columns on Customer, for search and lists.
DISPLAY_FIELDS: tuple[str, ...] = ("given_name", "family_name", "full_name", "email", "phone", "date_of_birth")
# Address parts survive together, from one source record, so that a golden address is never
# stitched together from two different addresses; the rule is the `address` rule.
ADDRESS_PARTS: tuple[str, ...] = ("street", "city", "postcode", "state")
ADDRESS = "address"
# full_name is composed of the surviving given and family names, so the name shown is consistent.
DERIVED_ATTRIBUTES: tuple[str, ...] = ("full_name",)
# Attributes surviving by a rule of their own.
SINGLE_ATTRIBUTES: tuple[str, ...] = tuple(
    a for a in GOLDEN_ATTRIBUTES if a not in ADDRESS_PARTS and a not in DERIVED_ATTRIBUTES
)
# One survivorship rule per entry (the address rule covers the address parts).
RULE_ATTRIBUTES: tuple[str, ...] = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "date_of_birth",
    ADDRESS,
    "country",
    "company",
    "national_id",
)
RULE_LABELS = {ADDRESS: "address (street, city, postcode, state)"}
# What a steward can pin: every attribute but the derived ones.
PINNABLE_ATTRIBUTES: tuple[str, ...] = tuple(a for a in GOLDEN_ATTRIBUTES if a not in DERIVED_ATTRIBUTES)

# Defaults, also written by the data migration that creates the rules. Trusted sources are
# those with trust >= 0.6 (CRM, ERP, billing, e-commerce, support in the demo catalog).
DEFAULT_RULES: dict[str, dict[str, object]] = {
    "given_name": {"strategy": SurvivorshipStrategy.HIGHEST_TRUST},
    "family_name": {"strategy": SurvivorshipStrategy.HIGHEST_TRUST},
    "email": {"strategy": SurvivorshipStrategy.MOST_RECENT, "min_trust": 0.6},
    "phone": {
        "strategy": SurvivorshipStrategy.TRUST_DECAY,
        "decay_days": 730,
        "decay_floor": 0.5,
        "decay_curve": DecayCurve.LINEAR,
    },
    "date_of_birth": {"strategy": SurvivorshipStrategy.MOST_FREQUENT, "flag_conflicts": True},
    ADDRESS: {"strategy": SurvivorshipStrategy.MOST_RECENT, "min_trust": 0.6},
    "country": {"strategy": SurvivorshipStrategy.HIGHEST_TRUST},
    "company": {"strategy": SurvivorshipStrategy.MOST_COMPLETE},
    "national_id": {"strategy": SurvivorshipStrategy.HIGHEST_TRUST, "flag_conflicts": True},
}

# The change log's writers serialise on this PostgreSQL advisory lock (see services/changes.py).
CHANGE_LOG_LOCK = 0x4D444D43  # "MDMC"
# Unified profile: a ticket counts as open when it is this recent and its summary does not say
# it was closed (activities carry no status of their own).
OPEN_TICKET_DAYS = 30
CLOSED_TICKET_WORDS = ("closed", "resolved", "solved")
# A match run's worker holds this session-level PostgreSQL advisory lock (with the run id) while
# it runs; the database drops it when the worker dies (see services/run_locks.py).
MATCH_RUN_LOCK = 0x4D444D52  # "MDMR"
