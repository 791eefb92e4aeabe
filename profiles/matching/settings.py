"""Tunable settings of the identity-resolution engine (all with measured defaults)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds are posterior match probabilities in [0, 1].

    Defaults were chosen on generated multi-source data and FEBRL (see benchmarks/): above
    ``auto_link_threshold`` a pair is linked without a steward, between the two thresholds it is queued
    for review, below it is a non-match.
    """

    auto_link_threshold: float = 0.8
    review_threshold: float = 0.4
    #: blocks (records sharing one blocking-key value) larger than this are skipped for that key: a
    #: value shared by that many records does not identify a person, and this keeps candidates ~linear.
    max_block_size: int = 60
    #: window of the sorted-neighbourhood passes over names.
    neighbourhood_window: int = 4
    #: a join that would make a cluster larger than this is refused and the pair goes to review.
    max_cluster_size: int = 40
    #: refuse to put two different national ids (more than one edit apart) into one cluster.  Off by
    #: default: ids are mistyped in more than one digit often enough (FEBRL) that a hard veto costs more
    #: than the strongly negative weight of a disagreeing id.
    national_id_conflicts: bool = False
    #: EM iterations / tolerance for the unsupervised Fellegi-Sunter model.
    em_max_iterations: int = 200
    em_tolerance: float = 1e-6
    #: use term-frequency adjustments for exact given/family name agreement.
    term_frequency: bool = True
